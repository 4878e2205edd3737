// A line chart in SVG, enough for a job's metrics over time.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** series: {label, timestamps: [iso], values: [number]}; format turns a value into an axis label. */
export function lineChart({title, series, format}) {
  const width = 480, height = 160, left = 56, bottom = 22, top = 10, right = 8;
  const svg = el('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title});
  const points = series.timestamps.map((t, i) => [Date.parse(t), series.values[i]]).sort((a, b) => a[0] - b[0]);
  if (!points.length) {
    svg.append(el('text', {x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart-empty'}, 'No data yet'));
    return svg;
  }
  const [t0, t1] = [points[0][0], points[points.length - 1][0] || points[0][0] + 1];
  const max = Math.max(...points.map(p => p[1]), 1e-9);
  const x = t => left + ((t - t0) / Math.max(t1 - t0, 1)) * (width - left - right);
  const y = v => top + (1 - v / max) * (height - top - bottom);
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    svg.append(el('line', {x1: left, x2: width - right, y1: y(value), y2: y(value), class: 'chart-grid'}));
    svg.append(el('text', {x: left - 4, y: y(value) + 4, 'text-anchor': 'end', class: 'chart-axis'}, format(value)));
  }
  svg.append(el('text', {x: left, y: height - 4, class: 'chart-axis'}, new Date(t0).toLocaleTimeString()));
  svg.append(el('text', {x: width - right, y: height - 4, 'text-anchor': 'end', class: 'chart-axis'}, new Date(t1).toLocaleTimeString()));
  svg.append(el('polyline', {points: points.map(([t, v]) => `${x(t)},${y(v)}`).join(' '), class: 'chart-line'}));
  return svg;
}
