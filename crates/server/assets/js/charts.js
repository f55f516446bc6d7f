// SVG charts drawn here (no library): sparkline, time series with marks,
// horizontal bars and a heat map. Every axis is labelled with its unit.
import { s, fmt } from './dom.js';

const INK = '#1a1a1a';
const MUTED = '#595959';
const ACCENT = '#0b5394';
const BAD = '#b00020';
const GRID = '#d0d5db';

function niceTicks(min, max, n = 5) {
  if (!(max > min)) { max = min + 1; min -= 1; }
  const raw = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) ticks.push(+v.toFixed(10));
  return ticks;
}

/** A sparkline of `values` (oldest first); `label` is its accessible name. */
export function sparkline(values, label, width = 110, height = 26) {
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'spark' });
  const vs = values.filter((v) => Number.isFinite(v));
  if (vs.length < 2) { svg.append(s('text', { x: 2, y: 17, fill: MUTED, 'font-size': 11, text: 'too few points' })); return svg; }
  const lo = Math.min(...vs), hi = Math.max(...vs), span = hi - lo || 1;
  const pts = vs.map((v, i) => `${(i / (vs.length - 1)) * (width - 4) + 2},${height - 3 - ((v - lo) / span) * (height - 6)}`);
  svg.append(s('polyline', { points: pts.join(' '), fill: 'none', stroke: ACCENT, 'stroke-width': 1.6 }));
  const [lx, ly] = pts[pts.length - 1].split(',');
  svg.append(s('circle', { cx: lx, cy: ly, r: 2.5, fill: ACCENT }));
  return svg;
}

/**
 * A time series. series: [{name, colour, points: [{t: Date, v}], dashed}];
 * marks: [{t: Date, label, bad}] drawn as vertical lines; yUnit e.g. '%'.
 */
export function timeChart({ title, series, marks = [], yLabel, xLabel = 'Time (UTC)', width = 760, height = 280, zero = false }) {
  const m = { l: 62, r: 16, t: 28, b: 46 };
  const all = series.flatMap((x) => x.points).filter((p) => Number.isFinite(p.v));
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(s('title', { text: title }));
  svg.append(s('text', { x: m.l, y: 16, 'font-weight': 700, 'font-size': 13, text: title }));
  if (all.length === 0) { svg.append(s('text', { x: m.l, y: height / 2, fill: MUTED, text: 'no points in this period' })); return svg; }
  const ts = all.map((p) => +p.t);
  let t0 = Math.min(...ts), t1 = Math.max(...ts);
  if (t1 === t0) { t0 -= 86400e3; t1 += 86400e3; }
  let lo = Math.min(...all.map((p) => p.v)), hi = Math.max(...all.map((p) => p.v));
  if (zero) { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
  const pad = (hi - lo) * 0.1 || 1; lo -= pad; hi += pad;
  const X = (t) => m.l + ((t - t0) / (t1 - t0)) * (width - m.l - m.r);
  const Y = (v) => height - m.b - ((v - lo) / (hi - lo)) * (height - m.t - m.b);
  for (const v of niceTicks(lo, hi)) {
    svg.append(s('line', { x1: m.l, x2: width - m.r, y1: Y(v), y2: Y(v), stroke: GRID }));
    svg.append(s('text', { x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end', text: fmt(v, Math.abs(hi - lo) < 10 ? 1 : 0) }));
  }
  const days = (t1 - t0) / 86400e3;
  for (let i = 0; i <= 5; i++) {
    const t = t0 + ((t1 - t0) * i) / 5;
    const d = new Date(t).toISOString();
    svg.append(s('text', { x: X(t), y: height - m.b + 16, 'text-anchor': 'middle', text: days > 3 ? d.slice(0, 10) : d.slice(5, 16).replace('T', ' ') }));
  }
  svg.append(s('line', { x1: m.l, x2: width - m.r, y1: height - m.b, y2: height - m.b, stroke: INK }));
  svg.append(s('line', { x1: m.l, x2: m.l, y1: m.t, y2: height - m.b, stroke: INK }));
  svg.append(s('text', { x: (m.l + width - m.r) / 2, y: height - 8, 'text-anchor': 'middle', text: xLabel }));
  svg.append(s('text', { x: 14, y: (m.t + height - m.b) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${(m.t + height - m.b) / 2})`, text: yLabel }));
  if (zero && lo < 0 && hi > 0) svg.append(s('line', { x1: m.l, x2: width - m.r, y1: Y(0), y2: Y(0), stroke: MUTED, 'stroke-dasharray': '2 2' }));
  for (const mk of marks) {
    const x = X(+mk.t);
    svg.append(s('line', { x1: x, x2: x, y1: m.t, y2: height - m.b, stroke: mk.bad ? BAD : MUTED, 'stroke-width': 2, 'stroke-dasharray': '5 3', class: 'mark' }));
    svg.append(s('text', { x: x + 4, y: m.t + 12, fill: mk.bad ? BAD : MUTED, 'font-weight': 700, text: mk.label }));
  }
  let ly = m.t + 2;
  for (const sr of series) {
    const pts = sr.points.filter((p) => Number.isFinite(p.v)).map((p) => `${X(+p.t)},${Y(p.v)}`);
    svg.append(s('polyline', { points: pts.join(' '), fill: 'none', stroke: sr.colour || ACCENT, 'stroke-width': 2, 'stroke-dasharray': sr.dashed ? '6 4' : null }));
    if (!sr.dashed) for (const p of pts) { const [x, y] = p.split(','); svg.append(s('circle', { cx: x, cy: y, r: 2.6, fill: sr.colour || ACCENT })); }
    svg.append(s('line', { x1: width - m.r - 150, x2: width - m.r - 130, y1: ly, y2: ly, stroke: sr.colour || ACCENT, 'stroke-width': 2, 'stroke-dasharray': sr.dashed ? '6 4' : null }));
    svg.append(s('text', { x: width - m.r - 125, y: ly + 4, text: sr.name }));
    ly += 15;
  }
  return svg;
}

/** Horizontal bars [{label, value, highlight}] on a 0–100 % axis (or `max`). */
export function barChart({ title, bars, unit = '%', width = 760, max = 100 }) {
  const m = { l: 230, r: 70, t: 28, b: 40 };
  const bh = 22, gap = 8;
  const height = m.t + m.b + bars.length * (bh + gap);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(s('title', { text: title }));
  svg.append(s('text', { x: 8, y: 16, 'font-weight': 700, 'font-size': 13, text: title }));
  const lo = Math.max(0, Math.floor((Math.min(...bars.map((b) => b.value)) - 10) / 10) * 10);
  const X = (v) => m.l + ((v - lo) / (max - lo)) * (width - m.l - m.r);
  for (const v of niceTicks(lo, max)) {
    svg.append(s('line', { x1: X(v), x2: X(v), y1: m.t, y2: height - m.b, stroke: GRID }));
    svg.append(s('text', { x: X(v), y: height - m.b + 14, 'text-anchor': 'middle', text: fmt(v, 0) }));
  }
  bars.forEach((b, i) => {
    const y = m.t + i * (bh + gap);
    svg.append(s('text', { x: m.l - 8, y: y + bh / 2 + 4, 'text-anchor': 'end', 'font-weight': b.highlight ? 700 : 400, text: b.label }));
    svg.append(s('rect', { x: X(lo), y, width: Math.max(1, X(b.value) - X(lo)), height: bh, fill: b.highlight ? ACCENT : '#7d8b99' }));
    svg.append(s('text', { x: X(b.value) + 5, y: y + bh / 2 + 4, text: fmt(b.value, 1, unit) }));
  });
  svg.append(s('text', { x: (m.l + width - m.r) / 2, y: height - 6, 'text-anchor': 'middle', text: `Efficiency (${unit})` }));
  return svg;
}

/** A heat map: rows × columns of values in 0–1 (null = no data). */
export function heatMap({ title, rows, columns, value, xLabel = 'Day (UTC)', unit = 'completeness, %' }) {
  const cw = Math.max(14, Math.min(36, 640 / Math.max(1, columns.length)));
  const ch = 22, m = { l: 150, t: 28, b: 58 };
  const width = m.l + columns.length * cw + 150, height = m.t + rows.length * ch + m.b;
  const svg = s('svg', { class: 'chart fixed', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(s('title', { text: title }));
  svg.append(s('text', { x: 8, y: 16, 'font-weight': 700, 'font-size': 13, text: title }));
  const colour = (v) => {
    if (v === null || v === undefined) return '#e5e7eb';
    const t = Math.max(0, Math.min(1, v));
    // from the bad red (#b00020) to the good green (#1e6b34)
    const mix = (a, b) => Math.round(a + (b - a) * t);
    return `rgb(${mix(176, 30)},${mix(0, 107)},${mix(32, 52)})`;
  };
  rows.forEach((r, i) => {
    svg.append(s('text', { x: m.l - 6, y: m.t + i * ch + ch / 2 + 4, 'text-anchor': 'end', text: r }));
    columns.forEach((c, j) => {
      const v = value(r, c);
      svg.append(s('rect', { x: m.l + j * cw, y: m.t + i * ch, width: cw - 2, height: ch - 2, fill: colour(v) },
        s('title', { text: `${r} ${c}: ${v === null || v === undefined ? 'no data' : fmt(v * 100, 0, '%')}` })));
    });
  });
  const step = Math.ceil(columns.length / 8);
  columns.forEach((c, j) => {
    if (j % step === 0) svg.append(s('text', { x: m.l + j * cw + cw / 2, y: m.t + rows.length * ch + 14, 'text-anchor': 'middle', text: c.slice(5) }));
  });
  svg.append(s('text', { x: m.l + (columns.length * cw) / 2, y: height - 20, 'text-anchor': 'middle', text: xLabel }));
  const lx = m.l + columns.length * cw + 16;
  [[1, '100 %'], [0.5, '50 %'], [0, '0 %'], [null, 'no data']].forEach(([v, label], i) => {
    svg.append(s('rect', { x: lx, y: m.t + i * 18, width: 14, height: 14, fill: colour(v) }));
    svg.append(s('text', { x: lx + 20, y: m.t + i * 18 + 11, text: label }));
  });
  svg.append(s('text', { x: lx, y: m.t + 4 * 18 + 12, fill: MUTED, text: unit }));
  return svg;
}
