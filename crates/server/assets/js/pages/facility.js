// One facility: efficiency trend with change points, baseline CUSUM and
// savings, benchmark position, coverage heat map, its calculations.
import { api, optional, enc } from '../api.js';
import { h, fmt, facts, unavailable, qualityBadge, day } from '../dom.js';
import { timeChart, barChart, heatMap } from '../charts.js';
import { sourceBadges } from './facilities.js';

function seriesOf(trend) {
  const pts = trend.points || trend.series || trend.intervals || [];
  return pts.map((p) => ({ t: new Date(p.start || p.time), v: p.efficiency_pct ?? p.value }));
}

function trendPanel(id, trend, calcs) {
  const stored = calcs.filter((c) => c.status === 'completed').map((c) => ({ t: new Date(c.period_start), v: c.efficiency })).sort((a, b) => a.t - b.t);
  if (!trend) {
    return [
      timeChart({ title: `Efficiency of ${id}, from stored calculations`, series: [{ name: 'efficiency', points: stored }], yLabel: 'Efficiency (%)' }),
      unavailable('Change points and degradation', 'GET /facilities/{id}/efficiency is not served by this server (404); the chart shows the stored calculations only.'),
    ];
  }
  const points = seriesOf(trend);
  const rolling = (trend.rolling_mean || []).map((v, i) => ({ t: points[i] ? points[i].t : null, v })).filter((p) => p.t && Number.isFinite(p.v));
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

async function baselinePanel(id) {
  const list = await optional(`/facilities/${enc(id)}/baselines`);
  const names = list ? (list.baselines || []).map((b) => b.name) : [];
  if (!list) return unavailable('Baseline CUSUM and savings', 'GET /facilities/{id}/baselines is not served by this server (404).');
  if (names.length === 0) return h('p', { text: 'No baseline fitted for this facility (POST /facilities/{id}/baselines).' });
  const perf = await optional(`/facilities/${enc(id)}/baselines/${enc(names[0])}/performance`);
  if (!perf) return unavailable(`Baseline ${names[0]}`, 'The performance endpoint answered 404.');
  const iv = perf.intervals || [];
  const pts = iv.map((p) => ({ t: new Date(p.start || p.time), v: p.cusum }));
  return [
    timeChart({ title: `CUSUM of expected − actual, baseline ${names[0]}`, series: [{ name: 'CUSUM', points: pts }], yLabel: 'Cumulative savings (kWh)', zero: true }),
    facts([['Savings', fmt(perf.total_savings, 0, 'kWh')], ['SEnPI', fmt(perf.senpi, 3)], ['Improvement', fmt(perf.improvement_pct, 1, '%')]]),
  ];
}

function benchmarkPanel(b, latest) {
  if (!b) return unavailable('Benchmark', 'GET /facilities/{id}/benchmark is not served by this server (404).');
  const value = b.efficiency_pct ?? (latest ? latest.efficiency : null);
  const bars = [{ label: 'this facility', value, highlight: true }];
  for (const r of b.references || []) if (Number.isFinite(r.efficiency_pct)) bars.push({ label: `${r.level || ''} ${r.id || ''}`.trim(), value: r.efficiency_pct });
  const fl = b.fleet || {};
  for (const [k, label] of [['p25', 'fleet p25'], ['median', 'fleet median'], ['p75', 'fleet p75']]) if (Number.isFinite(fl[k])) bars.push({ label, value: fl[k] });
  return [
    barChart({ title: 'Benchmark position', bars: bars.filter((x) => Number.isFinite(x.value)) }),
    facts([['Fleet', fl.withheld ? `withheld (n = ${fl.n} < 5 peers)` : `percentile ${fmt(fl.percentile, 0)} of n = ${fl.n ?? '–'}`]]),
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
    optional(`/facilities/${enc(id)}/efficiency?${range}&interval=day`),
    optional(`/facilities/${enc(id)}/benchmark?${range}`),
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
    h('h2', { text: 'Baseline (ISO 50006) and CUSUM' }), await baselinePanel(id),
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
