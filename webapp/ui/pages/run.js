import * as api from '../api.js';
import {h, fill, table, status, facts, section} from '../dom.js';
import {age, dateTime, money, resources, pageHeader, errorSlot, dangerButton, link} from '../widgets.js';
import {toYaml} from '../yaml.js';
import {lineChart} from '../chart.js';
import {ACTIVE, runResources} from './runs.js';

const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

function decode(base64) {
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  return new TextDecoder().decode(bytes).replace(ANSI, '');
}

/** The configuration as a user would write it: unset (null) and empty fields left out. */
function written(value) {
  if (Array.isArray(value)) return value.map(written);
  if (!value || typeof value !== 'object') return value;
  const kept = {};
  for (const [key, item] of Object.entries(value)) {
    const shown = written(item);
    const empty = shown === null || shown === undefined
      || (typeof shown === 'object' && Object.keys(shown).length === 0);
    if (!empty) kept[key] = shown;
  }
  return kept;
}

export async function render(ctx) {
  const {params, navigate} = ctx;
  const project = params.project;
  const base = `project/${encodeURIComponent(project)}/`;
  const getRun = quiet => api.post(base + 'runs/get', {run_name: params.run}, {quiet});
  let run = await getRun(false);

  const errors = errorSlot();
  const summary = h('div', {id: 'run-summary'});
  const actions = h('div', {class: 'actions'});
  const jobs = h('div', {id: 'run-jobs'});
  const charts = h('div', {class: 'charts', id: 'run-metrics'});
  const stop = abort => api.post(base + 'runs/stop', {runs_names: [params.run], abort});

  const draw = () => {
    const active = ACTIVE.includes(run.status);
    fill(actions, active ? [
      dangerButton('Stop', `Stop run ${params.run}? Its jobs get a graceful stop.`, errors, () => stop(false), refresh),
      dangerButton('Abort', `Abort run ${params.run}? Its jobs are killed at once.`, errors, () => stop(true), refresh),
    ] : dangerButton('Delete', `Delete run ${params.run}? Its record and logs go away.`, errors,
      () => api.post(base + 'runs/delete', {runs_names: [params.run]}), () => navigate('/runs')));
    const configuration = run.run_spec?.configuration || {};
    fill(summary, facts([
      ['Status', h('span', {id: 'run-status'}, status(run.status))],
      ['Status message', run.status_message],
      ['Termination reason', run.termination_reason],
      ['Error', run.error],
      ['Project', project],
      ['User', run.user],
      ['Type', configuration.type],
      ['Submitted', age(run.submitted_at)],
      ['Resources', runResources(run)],
      ['Cost', money(run.cost)],
      ['Deployment', run.deployment_num],
      ['Service URL', run.service?.url ? h('a', {href: run.service.url, target: '_blank', rel: 'noopener'}, run.service.url) : null],
    ]));
    fill(jobs, run.jobs.map(job => h('div', {class: 'job'},
      h('h3', {}, job.job_spec.job_name, ' ', h('span', {class: 'muted'}, `replica ${job.job_spec.replica_num}, job ${job.job_spec.job_num}`)),
      table([
        {title: '#', cell: s => s.submission_num},
        {title: 'Status', cell: s => status(s.status)},
        {title: 'Termination reason', cell: s => [s.termination_reason || '—',
          s.termination_reason_message ? h('div', {class: 'muted'}, s.termination_reason_message) : null]},
        {title: 'Exit status', cell: s => (s.exit_status ?? '—')},
        {title: 'Submitted', cell: s => dateTime(s.submitted_at)},
        {title: 'Finished', cell: s => dateTime(s.finished_at)},
        {title: 'Host', cell: s => s.job_provisioning_data?.hostname || '—'},
        {title: 'Resources', cell: s => resources(s.job_provisioning_data?.instance_type?.resources)},
        {title: 'Logs', cell: s => h('button', {type: 'button', class: 'link', onclick: () => logs.follow(s.id, job.job_spec.job_name)}, 'Show')},
      ], [...job.job_submissions].reverse(), 'No submissions yet.'))));
  };
  const refresh = async () => {
    run = await getRun(true);
    draw();
  };

  const logs = logTail(ctx, base, params.run);
  const latest = run.jobs[0]?.job_submissions.at(-1);
  draw();
  if (latest) logs.follow(latest.id, run.jobs[0].job_spec.job_name);
  const loadMetrics = async () => {
    const metrics = await api.get(base + `metrics/job/${encodeURIComponent(params.run)}?limit=200`, {quiet: true})
      .catch(() => ({metrics: []}));
    const byName = Object.fromEntries(metrics.metrics.map(m => [m.name, m]));
    const gib = v => (v / 2 ** 30).toFixed(v < 2 ** 30 ? 2 : 1) + ' GiB';
    const shown = [
      ['CPU', 'cpu_usage_percent', v => v.toFixed(0) + ' %'],
      ['Memory', 'memory_working_set_bytes', gib],
      ...Object.keys(byName).filter(n => n.startsWith('gpu_util_percent')).map(n => ['GPU ' + n.split('_gpu').pop(), n, v => v.toFixed(0) + ' %']),
      ...Object.keys(byName).filter(n => n.startsWith('gpu_memory_usage_bytes')).map(n => ['GPU memory ' + n.split('_gpu').pop(), n, gib]),
    ];
    fill(charts, shown.map(([title, name, format]) => h('figure', {class: 'metric'},
      h('figcaption', {}, title),
      lineChart({title, series: byName[name] || {timestamps: [], values: []}, format}))));
  };
  await loadMetrics();
  ctx.every(3000, () => {
    if (ACTIVE.includes(run.status)) refresh().then(() => errors.show(null), error => errors.show(error));
  });
  ctx.every(10000, () => {
    if (ACTIVE.includes(run.status)) loadMetrics();
  });

  const specYaml = h('pre', {class: 'code', id: 'run-spec'}, toYaml(written(run.run_spec?.configuration || {})));
  return h('div', {},
    pageHeader(params.run, actions),
    h('p', {}, link('/runs', '← All runs')),
    errors,
    section('Overview', summary),
    section('Jobs', jobs),
    section('Logs', logs.node),
    section('Metrics', charts),
    section('Configuration', specYaml,
      h('details', {}, h('summary', {}, 'Full run spec'), h('pre', {class: 'code'}, toYaml(run.run_spec || {})))));
}

/** Polls logs/poll for one job submission and appends new lines; keeps the view at the end while the user is there. */
function logTail(ctx, base, runName) {
  const output = h('pre', {class: 'log', id: 'run-logs', tabindex: 0, 'aria-label': 'Job log', 'aria-live': 'off'});
  const title = h('p', {class: 'muted'});
  const errors = errorSlot();
  let submission = null;
  let after = null;
  let generation = 0;
  const poll = async () => {
    const mine = generation;
    let nextToken = null;
    do {
      const page = await api.post(base + 'logs/poll', {
        run_name: runName, job_submission_id: submission, start_time: after, limit: 1000,
        descending: false, next_token: nextToken,
      }, {quiet: true});
      if (mine !== generation) return;
      const atEnd = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
      if (page.logs.length) {
        if (output.dataset.empty) {
          output.textContent = '';
          delete output.dataset.empty;
        }
        output.append(page.logs.map(line => decode(line.message)).join(''));
        after = page.logs[page.logs.length - 1].timestamp;
        if (atEnd) output.scrollTop = output.scrollHeight;
      }
      nextToken = page.next_token;
    } while (nextToken);
  };
  let polling = false;
  ctx.every(2000, async () => {
    if (!submission || polling) return;
    polling = true;
    try {
      await poll();
      errors.show(null);
    } catch (error) {
      errors.show(error);
    } finally {
      polling = false;
    }
  });
  return {
    node: h('div', {}, title, errors, output),
    follow(id, jobName) {
      generation++;
      submission = id;
      after = null;
      title.textContent = `Job ${jobName}, submission ${id.slice(0, 8)} (new lines appear as they arrive)`;
      output.textContent = 'No output yet.';
      output.dataset.empty = '1';
      poll().catch(error => errors.show(error));
    },
  };
}
