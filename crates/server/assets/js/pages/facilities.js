// Facilities: latest efficiency, trend sparkline, data-quality badge and the
// state of each data source; sortable by any column, filterable by text.
import { api, enc } from '../api.js';
import { h, fmt, qualityBadge } from '../dom.js';
import { sparkline } from '../charts.js';

/** The state of a channel's source from the latest calculation made from readings. */
export function sourceState(channel, quality) {
  const found = quality && Array.isArray(quality.channels) ? quality.channels.find((c) => c.tag === channel.tag) : null;
  if (!found) return 'no data';
  if (found.stale || found.completeness === 0) return 'failing';
  if (found.completeness < 0.95) return 'fallback';
  return 'live';
}

export function sourceBadges(facility, quality) {
  const channels = Array.isArray(facility.channels) ? facility.channels : [];
  if (channels.length === 0) return h('span', { class: 'badge none', text: 'push (inline)' });
  const cls = { live: 'good', fallback: 'warn', failing: 'bad', 'no data': 'none' };
  return h('ul', { class: 'sources', 'aria-label': 'data sources' }, channels.map((c) => {
    const source = (c.source && (c.source.type || c.source.kind || c.source)) || 'push';
    const state = sourceState(c, quality);
    return h('li', {}, h('span', { class: `badge ${cls[state]}`, text: `${typeof source === 'string' ? source : 'push'} · ${state}` }), ` ${c.tag}`);
  }));
}

async function row(f) {
  const list = await api(`/calculations?facility_id=${enc(f.facility_id)}&limit=30`);
  const calcs = list.calculations.filter((c) => c.status === 'completed');
  const latest = calcs[0] || null;
  // The latest few in full: the newest for its data quality, the newest made
  // from readings for the state of each channel.
  const details = await Promise.all(calcs.slice(0, 5).map((c) => api(`/calculations/${enc(c.calculation_id)}`)));
  const quality = details.length ? details[0].data_quality : null;
  const fromReadings = details.find((d) => d.data_quality && Array.isArray(d.data_quality.channels));
  return {
    f, latest, quality: fromReadings ? fromReadings.data_quality : quality,
    efficiency: latest ? latest.efficiency : null,
    score: quality && Number.isFinite(quality.score) ? quality.score : null,
    channelsFrom: fromReadings ? fromReadings.calculation_id : null,
    series: calcs.slice().reverse().map((c) => c.efficiency),
  };
}

export async function facilitiesPage() {
  const page = await api('/facilities?limit=200');
  const rows = await Promise.all(page.facilities.map(row));
  const state = { key: 'id', dir: 1, filter: '' };
  const tbody = h('tbody');
  const columns = [
    ['id', 'Facility', (r) => r.f.facility_id],
    ['name', 'Name', (r) => r.f.name || ''],
    ['type', 'Process', (r) => r.f.process_type || ''],
    ['eff', 'Latest efficiency (%)', (r) => (r.efficiency === null ? -Infinity : r.efficiency)],
    ['dq', 'Data quality', (r) => (r.score === null ? -Infinity : r.score)],
  ];
  const draw = () => {
    const col = columns.find((c) => c[0] === state.key);
    const q = state.filter.toLowerCase();
    const shown = rows
      .filter((r) => !q || `${r.f.facility_id} ${r.f.name || ''} ${r.f.process_type || ''}`.toLowerCase().includes(q))
      .sort((a, b) => { const x = col[2](a), y = col[2](b); return (x < y ? -1 : x > y ? 1 : 0) * state.dir; });
    tbody.replaceChildren(...shown.map((r) => h('tr', { 'data-facility': r.f.facility_id },
      h('td', {}, h('a', { href: `#/facilities/${enc(r.f.facility_id)}`, text: r.f.facility_id })),
      h('td', { text: r.f.name || '' }),
      h('td', { text: r.f.process_type || '' }),
      h('td', { class: 'num eff', text: fmt(r.efficiency, 2) }),
      h('td', {}, sparkline(r.series, `Efficiency of the last ${r.series.length} calculations of ${r.f.facility_id}, %`)),
      h('td', {}, qualityBadge(r.score)),
      h('td', {}, sourceBadges(r.f, r.quality)))));
    for (const b of thead.querySelectorAll('button.sort')) {
      const th = b.parentElement;
      th.setAttribute('aria-sort', b.dataset.key === state.key ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
  };
  const header = (key, label) => h('th', { scope: 'col', class: key === 'eff' ? 'num' : null },
    h('button', { type: 'button', class: 'sort', 'data-key': key, text: label, onclick: () => { state.dir = state.key === key ? -state.dir : 1; state.key = key; draw(); } }));
  const thead = h('thead', {}, h('tr', {}, header('id', 'Facility'), header('name', 'Name'), header('type', 'Process'),
    header('eff', 'Latest efficiency (%)'), h('th', { scope: 'col', text: 'Trend (%)' }), header('dq', 'Data quality'),
    h('th', { scope: 'col', text: 'Data sources' })));
  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'id, name or process', oninput: (e) => { state.filter = e.target.value; draw(); } });
  draw();
  return h('section', {},
    h('h1', { text: 'Facilities' }),
    h('p', { class: 'id', text: `${rows.length} facilities` }),
    h('div', { class: 'toolbar' }, h('div', {}, h('label', { for: 'filter', text: 'Filter' }), filter)),
    h('table', { id: 'facilities' }, h('caption', { class: 'id', text: 'Select a column heading to sort.' }), thead, tbody));
}
