// Tiny DOM helpers: elements are built with textContent, never innerHTML,
// so nothing from the API is ever parsed as markup.
const SVG = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function h(tag, attrs, ...children) {
  return append(apply(document.createElement(tag), attrs), children);
}

export function s(tag, attrs, ...children) {
  return append(apply(document.createElementNS(SVG, tag), attrs), children);
}

export function fmt(v, digits = 2, unit = '') {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const n = Number(v);
  return n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits }) + (unit ? ` ${unit}` : '');
}

export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));
}

export function unavailable(what, why) {
  return h('div', { class: 'panel unavailable', role: 'note' },
    h('strong', { text: `${what}: not available` }), h('p', { text: why }));
}

export function qualityBadge(score) {
  if (score === null || score === undefined) return h('span', { class: 'badge none', text: 'no data' });
  const cls = score >= 90 ? 'good' : score >= 70 ? 'warn' : 'bad';
  return h('span', { class: `badge ${cls}`, text: `DQ ${Math.round(score)}` });
}

export function setStatus(text, isError = false) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.className = isError ? 'status error' : 'status';
}

export function day(iso) { return String(iso).slice(0, 10); }
