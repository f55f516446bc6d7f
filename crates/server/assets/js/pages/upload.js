// Readings upload: a CSV (tag,timestamp,value[,quality][,correction]) sent to
// POST /facilities/{id}/readings with progress; the per-row errors listed.
import { upload, enc } from '../api.js';
import { h, fmt } from '../dom.js';

export async function uploadPage() {
  const facility = h('input', { id: 'upload-facility', name: 'facility', required: true, value: '' });
  const file = h('input', { id: 'upload-file', name: 'file', type: 'file', accept: '.csv,text/csv', required: true });
  const progress = h('progress', { id: 'upload-progress', max: '1', value: '0', 'aria-label': 'Upload progress' });
  const out = h('div', { id: 'upload-result', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { id: 'form-upload', novalidate: true },
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'upload-facility', text: 'Facility id' }), facility),
      h('div', {}, h('label', { for: 'upload-file', text: 'CSV file (tag,timestamp,value[,quality][,correction])' }), file)),
    progress,
    h('button', { type: 'submit', text: 'Upload' }), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!facility.value.trim() || !file.files.length) { out.replaceChildren(h('p', { class: 'error', text: 'Give a facility id and choose a file.' })); return; }
    progress.value = 0;
    out.textContent = 'Uploading…';
    try {
      const { status, body } = await upload(`/facilities/${enc(facility.value.trim())}/readings`, file.files[0], 'text/csv', (p) => { progress.value = p; });
      progress.value = 1;
      if (!body) { out.replaceChildren(h('p', { class: 'error', text: `HTTP ${status}` })); return; }
      if (body.error) {
        out.replaceChildren(h('p', { class: 'error', text: body.error.message }));
        if (!body.errors) return;
      }
      const errors = body.errors || [];
      out.replaceChildren(
        h('p', { id: 'upload-summary', text: `HTTP ${status}: ${body.accepted_rows ?? 0} rows accepted (${body.inserted ?? 0} inserted, ${body.duplicates ?? 0} duplicates, ${body.corrected ?? 0} corrected), ${body.rejected_rows ?? errors.length} rejected.` }),
        errors.length ? h('table', { id: 'row-errors' },
          h('thead', {}, h('tr', {}, ['Row', 'Field', 'Problem'].map((t) => h('th', { scope: 'col', text: t })))),
          h('tbody', {}, errors.map((e) => h('tr', {}, h('td', { class: 'num', text: fmt(e.row, 0) }), h('td', { text: e.field }), h('td', { text: e.problem }))))) : null);
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error', text: e.message }));
    }
  });
  return h('section', {}, h('h1', { text: 'Upload readings' }), form);
}
