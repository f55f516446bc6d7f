// One calculation: Sankey (energy / exergy), losses, both methods with their
// uncertainty, data quality and sources, provenance with Verify, opportunities.
import { api, enc, ApiError } from '../api.js';
import { h, fmt, facts, unavailable, qualityBadge } from '../dom.js';
import { openReport } from './facility.js';

/** The server's own SVG, parsed as SVG (never as HTML) and adopted. */
async function sankeyInto(box, id, kind) {
  box.replaceChildren(h('p', { text: 'Drawing…' }));
  try {
    const r = await api(`/calculations/${enc(id)}/sankey?format=svg&kind=${kind}`, { raw: true });
    const doc = new DOMParser().parseFromString(await r.text(), 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg') throw new Error('the diagram is not SVG');
    box.replaceChildren(document.importNode(svg, true));
  } catch (e) {
    const why = e instanceof ApiError && e.details.length ? e.details.map((d) => `${d.field}: ${d.problem}`).join('; ') : e.message;
    box.replaceChildren(unavailable(`${kind} diagram`, why));
  }
}

/** The uncertainty of one method: `c.uncertainty` is a list by `efficiency_method` (or inline on the method). */
function uncertaintyText(c, method) {
  const list = Array.isArray(c.uncertainty) ? c.uncertainty : [];
  const u = list.find((x) => x.efficiency_method === method) || (c.methods && c.methods[method] && c.methods[method].uncertainty);
  if (!u) return 'not stated';
  if (!Number.isFinite(u.expanded_points)) return u.note || 'inputs without uncertainty';
  return `± ${fmt(u.expanded_points, 2)} points (${fmt((u.coverage || 0.95) * 100, 0)} %, ${u.method || 'taylor'})`;
}

function methodsTable(c) {
  const basis = c.provenance.basis || 'as_metered';
  const rows = [];
  const m = c.methods || {};
  if (m.input_output) rows.push(['Input-output (direct)', m.input_output.efficiency_pct, uncertaintyText(c, 'input_output')]);
  if (m.heat_loss) rows.push(['Heat loss (indirect)', m.heat_loss.efficiency_pct, uncertaintyText(c, 'heat_loss')]);
  if (rows.length === 0) rows.push(['Input-output (direct)', c.efficiency, uncertaintyText(c, 'input_output')]);
  return h('table', { id: 'methods' },
    h('thead', {}, h('tr', {}, ['Method', 'Efficiency (%)', 'Basis', 'Uncertainty (95 %)'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows.map(([name, eff, u]) => h('tr', {}, h('td', { text: name }), h('td', { class: 'num', text: fmt(eff, 2) }), h('td', { text: basis }), h('td', { text: u })))));
}

function lossesTable(c) {
  const items = c.loss_breakdown || [];
  return h('table', { id: 'losses' },
    h('thead', {}, h('tr', {}, ['Loss', 'Energy (kWh)', 'Share of input (%)', 'Source'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, items.map((l) => h('tr', {},
      h('td', { text: String(l.category).replace(/_/g, ' ') }), h('td', { class: 'num', text: fmt(l.energy_kwh, 1) }),
      h('td', { class: 'num', text: fmt(l.share_of_input_percent, 2) }), h('td', { text: l.source || '' })))));
}

function verifyPanel(c) {
  const out = h('div', { id: 'verify-result', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'verify', text: 'Verify' });
  button.addEventListener('click', async () => {
    out.textContent = 'Verifying…';
    try {
      const v = await api(`/calculations/${enc(c.calculation_id)}/verify`);
      const cls = v.verdict === 'intact' ? 'good' : 'bad';
      out.replaceChildren(h('span', { class: `badge ${cls}`, text: v.verdict }), ` input hash ${v.input_hash_matches ? 'matches' : 'DIFFERS'}, output hash ${v.output_hash_matches ? 'matches' : 'DIFFERS'}, ${v.reproducible ? 'reproducible with' : 'NOT reproducible by'} ${v.current_engine_version}`,
        ...(v.problems || []).map((p) => h('p', { class: 'error', text: p })));
    } catch (e) {
      out.replaceChildren(h('span', { class: 'error', text: e.message }));
    }
  });
  return h('div', {},
    facts([
      ['Input hash', h('span', { class: 'hash', id: 'input-hash', text: c.provenance.input_hash })],
      ['Output hash', h('span', { class: 'hash', id: 'output-hash', text: c.provenance.output_hash })],
      ['Engine', c.provenance.engine_version],
      ['Formulas', (c.provenance.formulas || []).join(', ')],
    ]),
    button, out);
}

function opportunitiesPanel(c) {
  const price = h('input', { id: 'fuel-price', type: 'number', min: '0', step: 'any', value: '40', inputmode: 'decimal' });
  const currency = h('input', { id: 'currency', value: 'EUR', maxlength: '3', size: '4' });
  const out = h('div', { id: 'opportunities' });
  const run = async () => {
    out.replaceChildren(h('p', { text: 'Appraising…' }));
    try {
      const r = await api(`/calculations/${enc(c.calculation_id)}/opportunities?fuel_price_per_mwh=${enc(price.value)}&currency=${enc(currency.value)}`);
      const rows = (r.opportunities || []).filter((o) => o.applicable);
      if (rows.length === 0) { out.replaceChildren(h('p', { text: 'No measure applies to this calculation.' })); return; }
      out.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, ['Measure', 'Saved (MWh/yr)', `Saved (${r.currency}/yr)`, 'Payback (years)', 'Verdict'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, rows.map((o) => h('tr', {}, h('td', { text: o.title }), h('td', { class: 'num', text: fmt(o.energy_saved_mwh_per_year, 1) }),
          h('td', { class: 'num', text: o.fuel_cost_saved_per_year }), h('td', { class: 'num', text: o.simple_payback_years ?? '–' }), h('td', { text: o.verdict }))))));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error', text: e.message }));
    }
  };
  const form = h('form', { class: 'toolbar', 'aria-label': 'Appraisal parameters' },
    h('div', {}, h('label', { for: 'fuel-price', text: 'Fuel price per MWh' }), price),
    h('div', {}, h('label', { for: 'currency', text: 'Currency (ISO 4217)' }), currency),
    h('button', { type: 'submit', text: 'Appraise' }));
  form.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  run();
  return h('div', {}, form, out);
}

export async function calculationPage(id) {
  const c = await api(`/calculations/${enc(id)}`);
  const box = h('div', { class: 'sankey', id: 'sankey' });
  let kind = 'energy';
  const toggle = h('div', { role: 'radiogroup', 'aria-label': 'Diagram kind', class: 'toolbar' },
    ['energy', 'exergy'].map((k) => h('label', {}, h('input', { type: 'radio', name: 'kind', value: k, checked: k === kind, onchange: () => { kind = k; sankeyInto(box, id, k); } }), ` ${k}`)));
  sankeyInto(box, id, kind);
  const q = c.data_quality || {};
  const b = c.energy_balance || {};
  return h('section', {},
    h('h1', { text: `Calculation ${c.status}` }),
    h('p', { class: 'id', id: 'subject-id', text: id }),
    facts([
      ['Facility', h('a', { href: `#/facilities/${enc(c.facility_id)}`, text: c.facility_id })],
      ['Period', `${c.time_period.start} to ${c.time_period.end}`],
      ['Efficiency', h('span', { class: 'big', id: 'efficiency', text: fmt(c.efficiency, 2, '%') })],
      ['Basis', c.provenance.basis || 'as_metered'],
      ['Balance', `input ${fmt(b.total_input_kwh, 1, 'kWh')}, output ${fmt(b.total_output_kwh, 1, 'kWh')}, losses ${fmt(b.total_losses_kwh, 1, 'kWh')}`],
      ['Report', h('span', {},
        h('button', { type: 'button', class: 'link', onclick: () => openReport(`/calculations/${enc(id)}/report.html`), text: 'HTML report' }), ' · ',
        h('button', { type: 'button', class: 'link', onclick: () => openReport(`/calculations/${enc(id)}/report.pdf`), text: 'PDF report' }))],
    ]),
    c.warnings && c.warnings.length ? h('div', { class: 'panel', role: 'note' }, h('strong', { text: 'Warnings' }), h('ul', {}, c.warnings.map((w) => h('li', { text: typeof w === 'string' ? w : (w.message || JSON.stringify(w)) })))) : null,
    h('h2', { text: 'Energy flows' }), toggle, box,
    h('div', { class: 'grid2' },
      h('div', {}, h('h2', { text: 'Methods' }), methodsTable(c),
        c.second_law && Number.isFinite(c.second_law.second_law_efficiency_pct) ? h('p', { text: `Second-law efficiency ${fmt(c.second_law.second_law_efficiency_pct, 2, '%')}` }) : null),
      h('div', {}, h('h2', { text: 'Data quality' }), facts([
        ['Score', qualityBadge(Number.isFinite(q.score) ? q.score : null)],
        ['Completeness', fmt((q.completeness ?? NaN) * 100, 1, '%')],
        ['Data points', String(q.data_point_count ?? '–')],
        ['Sources', Array.isArray(q.channels) ? q.channels.map((ch) => ch.tag).join(', ') : 'inline values in the request'],
      ]))),
    h('h2', { text: 'Losses' }), lossesTable(c),
    h('h2', { text: 'Provenance' }), verifyPanel(c),
    h('h2', { text: 'Improvement opportunities' }), opportunitiesPanel(c));
}
