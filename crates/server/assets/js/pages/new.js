// New calculation: inline energies or a boiler process. The API judges every
// value (the form is `novalidate`); each problem it returns is shown next to
// the field its JSON path names, and announced.
import { api, enc, ApiError } from '../api.js';
import { h } from '../dom.js';

let seq = 0;

/** A labelled input bound to a JSON path. */
function field(path, label, attrs = {}) {
  const id = `f${++seq}-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  const err = h('p', { class: 'field-error', id: `${id}-error`, 'data-error-for': path, hidden: true });
  const control = attrs.options
    ? h('select', { id, name: path, 'data-field': path }, attrs.options.map(([v, t]) => h('option', { value: v, text: t, selected: v === attrs.value })))
    : h('input', { id, name: path, 'data-field': path, type: attrs.type || 'text', inputmode: attrs.type === 'number' ? 'decimal' : null, step: attrs.type === 'number' ? 'any' : null, value: attrs.value ?? '', 'aria-describedby': `${id}-error` });
  return h('div', {}, h('label', { for: id, text: label }), control, err);
}

function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  keys.slice(0, -1).forEach((k, i) => {
    const next = /^\d+$/.test(keys[i + 1]) ? [] : {};
    o[k] = o[k] ?? next;
    o = o[k];
  });
  o[keys[keys.length - 1]] = value;
}

/** The request from the form: numbers where the input is a number, empty fields left out. */
function collect(form) {
  const body = {};
  for (const el of form.querySelectorAll('[data-field]')) {
    const raw = el.value.trim();
    if (raw === '') continue;
    const path = el.dataset.field.replace(/\[(\d+)\]/g, '.$1');
    const value = el.type === 'number' ? Number(raw) : raw;
    setPath(body, path, Number.isNaN(value) ? raw : value);
  }
  return body;
}

function showErrors(form, details, summary) {
  for (const p of form.querySelectorAll('[data-error-for]')) { p.hidden = true; p.textContent = ''; }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const unplaced = [];
  let first = null;
  for (const d of details) {
    const path = String(d.field || '').replace(/\[(\d+)\]/g, '.$1');
    const candidates = [...form.querySelectorAll('[data-error-for]')];
    const p = candidates.find((x) => x.dataset.errorFor === path) || candidates.find((x) => path.startsWith(`${x.dataset.errorFor}.`));
    if (p) {
      p.hidden = false;
      p.textContent = p.textContent ? `${p.textContent}; ${d.problem}` : d.problem;
      const input = form.querySelector(`[data-field="${CSS.escape(p.dataset.errorFor)}"]`);
      if (input) { input.setAttribute('aria-invalid', 'true'); first = first || input; }
    } else {
      unplaced.push(`${path}: ${d.problem}`);
    }
  }
  summary.replaceChildren(...(unplaced.length ? [h('ul', {}, unplaced.map((t) => h('li', { text: t })))] : []));
  if (first) first.focus();
}

function calcForm(kind, title, fields, build) {
  const summary = h('div', { class: 'error', role: 'alert', 'data-summary': kind });
  const form = h('form', { id: `form-${kind}`, novalidate: true, 'aria-labelledby': `title-${kind}` },
    h('h2', { id: `title-${kind}`, text: title }), fields, summary,
    h('button', { type: 'submit', text: 'Calculate' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = build(collect(form));
    summary.textContent = 'Calculating…';
    try {
      const r = await api('/calculate', { method: 'POST', body });
      location.hash = `#/calculations/${enc(r.calculation_id)}`;
    } catch (e) {
      if (!(e instanceof ApiError)) { summary.textContent = e.message; return; }
      showErrors(form, e.details, summary);
      if (e.details.length === 0) summary.textContent = e.message;
    }
  });
  return form;
}

const period = (prefix) => h('div', { class: 'row' },
  field('facility_id', 'Facility id', { value: 'FAC-DEMO-001' }),
  field('time_period.start', 'Period start (RFC 3339)', { value: '2025-11-01T00:00:00Z' }),
  field('time_period.end', 'Period end (RFC 3339)', { value: '2025-11-01T01:00:00Z' }));

export async function newCalculationPage() {
  const inline = calcForm('inline', 'Inline energies', [
    period('inline'),
    h('div', { class: 'row' },
      field('unit', 'Unit of the numbers', { options: [['kWh', 'kWh'], ['MWh', 'MWh'], ['GJ', 'GJ'], ['MMBtu', 'MMBtu']], value: 'kWh' }),
      field('basis', 'Heating-value basis', { options: [['as_metered', 'as metered'], ['hhv', 'HHV'], ['lhv', 'LHV']], value: 'as_metered' })),
    h('fieldset', {}, h('legend', { text: 'Inputs' }), h('div', { class: 'row' },
      field('energy_input.fuel', 'Fuel', { type: 'number', value: '1000' }),
      field('energy_input.electricity', 'Electricity', { type: 'number', value: '50' }))),
    h('fieldset', {}, h('legend', { text: 'Useful outputs' }), h('div', { class: 'row' },
      field('energy_output.steam', 'Steam', { type: 'number', value: '750' }),
      field('energy_output.electricity', 'Electricity', { type: 'number', value: '200' }))),
    h('fieldset', {}, h('legend', { text: 'Measured losses (optional)' }), h('div', { class: 'row' },
      field('energy_losses.flue_gas', 'Flue gas', { type: 'number' }),
      field('energy_losses.radiation', 'Radiation', { type: 'number' }))),
  ], (b) => ({ energy_output: {}, ...b }));
  const boiler = calcForm('boiler', 'Boiler process', [
    period('boiler'),
    h('fieldset', {}, h('legend', { text: 'Fuel' }), h('div', { class: 'row' },
      field('process.fuel.name', 'Fuel', { options: [['natural_gas', 'natural gas'], ['propane', 'propane'], ['no2_oil', 'No. 2 oil']], value: 'natural_gas' }),
      field('process.fuel.mass_flow_kg_h', 'Fuel mass flow (kg/h)', { type: 'number', value: '800' }))),
    h('fieldset', {}, h('legend', { text: 'Steam and feedwater' }), h('div', { class: 'row' },
      field('process.steam.mass_flow_kg_h', 'Steam mass flow (kg/h)', { type: 'number', value: '10864' }),
      field('process.steam.pressure_mpa', 'Steam pressure (MPa)', { type: 'number', value: '5.5766' }),
      field('process.steam.quality', 'Steam quality (0–1)', { type: 'number', value: '1.0' }),
      field('process.feedwater.pressure_mpa', 'Feedwater pressure (MPa, saturated liquid)', { type: 'number', value: '0.3631' }),
      field('process.blowdown_pct', 'Blowdown (% of feedwater)', { type: 'number', value: '3.7' }))),
    h('fieldset', {}, h('legend', { text: 'Flue gas and air' }), h('div', { class: 'row' },
      field('process.flue_gas.temperature_c', 'Flue-gas temperature (°C)', { type: 'number', value: '180' }),
      field('process.flue_gas.o2_pct_dry', 'Flue-gas O2 (% dry)', { type: 'number', value: '3.0' }),
      field('process.combustion_air_temperature_c', 'Combustion air temperature (°C)', { type: 'number', value: '25' }))),
    h('fieldset', {}, h('legend', { text: 'Casing surface' }), h('div', { class: 'row' },
      field('process.surfaces.0.area_m2', 'Area (m²)', { type: 'number', value: '50' }),
      field('process.surfaces.0.temperature_c', 'Surface temperature (°C)', { type: 'number', value: '60' }),
      field('process.surfaces.0.emissivity', 'Emissivity (0–1)', { type: 'number', value: '0.9' }))),
  ], (b) => {
    b.process = { type: 'boiler', ...b.process };
    b.process.feedwater = { saturated: 'liquid', ...(b.process.feedwater || {}) };
    if (b.process.surfaces && !Array.isArray(b.process.surfaces)) b.process.surfaces = [b.process.surfaces[0] || b.process.surfaces];
    if (b.process.surfaces) b.process.surfaces = b.process.surfaces.map((x) => ({ orientation: 'vertical', ...x }));
    return b;
  });
  return h('section', {}, h('h1', { text: 'New calculation' }),
    h('p', { text: 'Every value is checked by the API; a problem is shown next to its field.' }),
    h('div', { class: 'grid2' }, inline, boiler));
}
