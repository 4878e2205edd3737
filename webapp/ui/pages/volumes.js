import * as api from '../api.js';
import {h, table, status} from '../dom.js';
import {age, money, pageHeader} from '../widgets.js';

export async function render() {
  const volumes = await api.post('volumes/list', {limit: 100});
  return h('div', {}, pageHeader('Volumes'), table([
    {title: 'Volume', cell: v => v.name},
    {title: 'Project', cell: v => v.project_name},
    {title: 'Backend', cell: v => v.configuration?.backend || '—'},
    {title: 'Status', cell: v => status(v.status)},
    {title: 'Cost', cell: v => money(v.cost)},
    {title: 'Created', cell: v => age(v.created_at)},
  ], volumes, 'No volumes. Network volumes need a cloud backend (AWS, GCP, RunPod, Kubernetes); on SSH fleets use instance volumes (volumes: - /host/path:/container/path) in the run configuration.'));
}
