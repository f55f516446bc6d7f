// One facility: efficiency trend with change points, baseline CUSUM and
// savings, benchmark position, coverage heat map, its calculations.
import { api, attempt, enc } from '../api.js';
import { h, fmt, facts, unavailable, qualityBadge, day } from '../dom.js';
import { timeChart, barChart, heatMap } from '../charts.js';
import { sourceBadges } from './facilities.js';

function seriesOf(trend) {
  const pts = trend.series || trend.points || [];
  return pts.map((p) => ({ t: new Date(p.start || p.time), v: p.efficiency_pct ?? p.value, rolling: p.rolling_mean }));
}

function why(result, endpoint) {
  return result.missing ? `${endpoint} is not served by this server.` : `${endpoint}: ${result.error.message}`;
}

function trendPanel(id, result, calcs) {
  const stored = calcs.filter((c) => c.status === 'completed').map((c) => ({ t: new Date(c.period_start), v: c.efficiency })).sort((a, b) => a.t - b.t);
  const trend = result.data;
  if (!trend) {
    return [
      timeChart({ title: `Efficiency of ${id}, from stored calculations`, series: [{ name: 'efficiency', points: stored }], yLabel: 'Efficiency (%)' }),
      unavailable('Change points and degradation', `${why(result, 'GET /facilities/{id}/efficiency')} The chart shows the stored calculations only.`),
    ];
  }
  const points = seriesOf(trend);
  const rolling = points.filter((p) => Number.isFinite(p.rolling)).map((p) => ({ t: p.t, v: p.rolling }));
  const cps = trend.change_points || [];
  const marks = cps.map((c) => ({ t: new Date(c.time || (points[c.index] || {}).t), label: c.degradation ? `degradation ${fmt(c.shift_points, 1)} pt` : `change ${fmt(c.shift_points, 1)} pt`, bad: c.degradation }));
  const t = trend.trend;
  return [
    timeChart({ title: `Efficiency of ${id} by ${trend.interval || 'interval'}`, series: [{ name: 'efficiency', points }, { name: 'rolling mean', points: rolling, dashed: true, colour: '#595959' }], marks, yLabel: 'Efficiency (%)' }),
    facts([
      ['Linear trend', t ? `${fmt(t.slope_points_per_year, 2)} points/year (95 %: ${fmt(t.ci95_low, 2)} to ${fmt(t.ci95_high, 2)})` : 'too few points'],
      ['Change points', cps.length ? cps.map((c) => `${day(c.time || '')} ${fmt(c.mean_before, 1)} → ${fmt(c.mean_after, 1)} %${c.degradation ? ' (degradation)' : ''}`).join('; ') : 'none'],
    ]),
  ];
}

/** Baselines are named when fitted (POST …/baselines); the name is asked for here. */
function baselinePanel(id) {
  const name = h('input', { id: 'baseline-name', value: 'default', autocomplete: 'off' });
  const out = h('div', { id: 'baseline-result' });
  const form = h('form', { class: 'toolbar', 'aria-label': 'Baseline' },
    h('div', {}, h('label', { for: 'baseline-name', text: 'Baseline name' }), name),
    h('button', { type: 'submit', text: 'Show CUSUM' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren(h('p', { text: 'Loading…' }));
    const r = await attempt(`/facilities/${enc(id)}/baselines/${enc(name.value.trim())}/performance`);
    if (!r.data) { out.replaceChildren(unavailable(`Baseline ${name.value}`, why(r, 'GET /facilities/{id}/baselines/{name}/performance'))); return; }
    const perf = r.data;
    const pts = (perf.intervals || []).map((p) => ({ t: new Date(p.start || p.time), v: p.cusum }));
    out.replaceChildren(
      timeChart({ title: `CUSUM of expected − actual, baseline ${perf.baseline || name.value}`, series: [{ name: 'CUSUM', points: pts }], yLabel: 'Cumulative savings (kWh)', zero: true }),
      facts([['Savings', fmt(perf.total_savings, 0, 'kWh')], ['SEnPI (actual / expected)', fmt(perf.senpi, 3)], ['Improvement', fmt(perf.improvement_pct, 1, '%')]]));
  });
  return h('div', {}, h('p', { text: 'Expected versus actual energy of a fitted baseline (ISO 50006), and the CUSUM of the savings.' }), form, out);
}

function benchmarkPanel(result, latest) {
  const b = result.data;
  if (!b) return unavailable('Benchmark', why(result, 'GET /facilities/{id}/benchmark'));
  const value = b.efficiency_pct ?? (latest ? latest.efficiency : null);
  const bars = [{ label: 'this facility', value, highlight: true }];
  for (const g of b.references || []) {
    const r = g.reference || g;
    if (Number.isFinite(r.efficiency_pct)) bars.push({ label: `${r.level || ''} ${r.id || ''}`.trim(), value: r.efficiency_pct });
  }
  const fl = (b.fleet && (b.fleet.statistics || b.fleet)) || {};
  for (const [k, label] of [['p25', 'fleet p25'], ['median', 'fleet median'], ['p75', 'fleet p75']]) if (Number.isFinite(fl[k])) bars.push({ label, value: fl[k] });
  return [
    barChart({ title: 'Benchmark position', bars: bars.filter((x) => Number.isFinite(x.value)) }),
    facts([
      ['Fleet', fl.withheld ? `withheld (n = ${fl.n}, fewer than 5 peers)` : `percentile ${fmt(fl.percentile, 0)} of n = ${fl.n ?? '–'}`],
      ['Gaps', (b.references || []).map((g) => `${(g.reference || g).id || ''}: ${fmt(g.gap_points, 1)} points`).join('; ') || 'no reference applies'],
    ]),
  ];
}

function coveragePanel(facility, details) {
  const channels = (facility.channels || []).map((c) => c.tag);
  const byDay = new Map();
  for (const d of details) {
    const q = d.data_quality || {};
    if (!Array.isArray(q.channels)) continue;
    const key = day(d.time_period.start);
    const m = byDay.get(key) || new Map();
    for (const c of q.channels) m.set(c.tag, Math.max(m.get(c.tag) ?? 0, c.completeness));
    byDay.set(key, m);
  }
  if (channels.length === 0 || byDay.size === 0) return h('p', { text: 'No calculation from stored readings yet: no coverage to show.' });
  const days = [...byDay.keys()].sort();
  return heatMap({ title: 'Readings coverage per channel and day', rows: channels, columns: days, value: (r, c) => (byDay.get(c) || new Map()).get(r) ?? null });
}

export async function facilityPage(id) {
  const f = await api(`/facilities/${enc(id)}`);
  const list = await api(`/calculations?facility_id=${enc(id)}&limit=100`);
  const calcs = list.calculations;
  const latest = calcs.find((c) => c.status === 'completed') || null;
  const details = await Promise.all(calcs.slice(0, 31).map((c) => api(`/calculations/${enc(c.calculation_id)}`)));
  const first = calcs.length ? calcs[calcs.length - 1].period_start : null;
  const range = first ? `from=${enc(day(first))}&to=${enc(new Date(Date.now() + 86400e3).toISOString().slice(0, 10))}` : '';
  const [trend, bench] = await Promise.all([
    attempt(`/facilities/${enc(id)}/efficiency?${range}&interval=day`),
    attempt(`/facilities/${enc(id)}/benchmark?${range}`),
  ]);
  const quality = details.length ? details[0].data_quality : null;
  const fromReadings = details.find((d) => d.data_quality && Array.isArray(d.data_quality.channels));
  return h('section', {},
    h('h1', { text: f.name || id }),
    h('p', { class: 'id', id: 'subject-id', text: id }),
    facts([
      ['Process', f.process_type || '–'],
      ['Time zone', f.time_zone || '–'],
      ['Latest efficiency', latest ? h('span', { class: 'big', id: 'latest-eff', text: fmt(latest.efficiency, 2, '%') }) : '–'],
      ['Data quality', qualityBadge(quality && Number.isFinite(quality.score) ? quality.score : null)],
      ['Data sources', sourceBadges(f, fromReadings ? fromReadings.data_quality : null)],
      ['Report', h('span', {},
        h('button', { type: 'button', class: 'link', onclick: () => openReport(`/facilities/${enc(id)}/report.html`), text: 'HTML report' }), ' · ',
        h('button', { type: 'button', class: 'link', onclick: () => openReport(`/facilities/${enc(id)}/report.pdf`), text: 'PDF report' }))],
    ]),
    h('h2', { text: 'Efficiency trend' }), trendPanel(id, trend, calcs),
    h('h2', { text: 'Baseline (ISO 50006) and CUSUM' }), baselinePanel(id),
    h('h2', { text: 'Benchmark' }), benchmarkPanel(bench, latest),
    h('h2', { text: 'Coverage' }), coveragePanel(f, details),
    h('h2', { text: 'Calculations' }),
    h('table', { id: 'calculations' },
      h('thead', {}, h('tr', {}, ['Calculation', 'Period start', 'Period end', 'Efficiency (%)', 'Status'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, calcs.map((c) => h('tr', {},
        h('td', {}, h('a', { href: `#/calculations/${enc(c.calculation_id)}`, text: c.calculation_id })),
        h('td', { text: c.period_start }), h('td', { text: c.period_end }),
        h('td', { class: 'num', text: fmt(c.efficiency, 2) }), h('td', { text: c.status }))))));
}

/** Reports need the bearer token, so they are fetched and opened as a blob. */
export async function openReport(path) {
  const r = await api(path, { raw: true });
  const url = URL.createObjectURL(await r.blob());
  const a = h('a', { href: url, download: path.split('/').pop() });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
