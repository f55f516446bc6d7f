// The dashboard shell: sign-in, navigation and the hash router.
// Routes: #/facilities, #/facilities/{id}, #/calculations/{id}, #/new, #/upload.
import { api, token, ApiError } from './api.js';
import { h, setStatus } from './dom.js';
import { facilitiesPage } from './pages/facilities.js';
import { facilityPage } from './pages/facility.js';
import { calculationPage } from './pages/calculation.js';
import { newCalculationPage } from './pages/new.js';
import { uploadPage } from './pages/upload.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signout = document.getElementById('signout');

const ROUTES = [
  [/^#\/facilities\/?$/, () => facilitiesPage()],
  [/^#\/facilities\/([^/]+)$/, (m) => facilityPage(decodeURIComponent(m[1]))],
  [/^#\/calculations\/([^/]+)$/, (m) => calculationPage(decodeURIComponent(m[1]))],
  [/^#\/new$/, () => newCalculationPage()],
  [/^#\/upload$/, () => uploadPage()],
];

function signInForm(message) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-help' });
  const err = h('p', { id: 'signin-error', class: 'field-error', role: 'alert', text: message || '' });
  const form = h('form', { class: 'signin panel', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', text: 'Sign in' }),
    h('label', { for: 'token', text: 'API token' }),
    input,
    h('p', { id: 'token-help', class: 'id', text: 'Kept for this tab only (sessionStorage); create one with `thermaliq token create`.' }),
    err,
    h('button', { type: 'submit', text: 'Sign in' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    token.set(input.value.trim());
    try {
      await api('/calculations?limit=1', { signingIn: true });
      render();
    } catch (e) {
      token.clear();
      err.textContent = e instanceof ApiError && e.status === 401 ? 'This token is not valid.' : `Cannot sign in: ${e.message}`;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  });
  return form;
}

async function render() {
  const signedIn = Boolean(token.get());
  nav.hidden = !signedIn;
  signout.hidden = !signedIn;
  if (!signedIn) {
    main.replaceChildren(signInForm());
    document.title = 'Sign in · ThermalIQ';
    main.querySelector('input').focus();
    return;
  }
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    location.replace('#/facilities');
    return;
  }
  for (const a of nav.querySelectorAll('a')) {
    if (location.hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const route = ROUTES.find(([re]) => re.test(location.hash));
  setStatus('Loading…');
  try {
    const page = route ? await route[1](location.hash.match(route[0])) : h('p', { text: `No page ${location.hash}` });
    main.replaceChildren(page);
    const heading = main.querySelector('h1');
    document.title = `${heading ? heading.textContent : 'ThermalIQ'} · ThermalIQ`;
    main.focus();
    setStatus('');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    main.replaceChildren(h('h1', { text: 'Something went wrong' }), h('p', { class: 'error', text: e.message }));
    setStatus(e.message, true);
  }
}

signout.addEventListener('click', () => {
  token.clear();
  location.hash = '#/facilities';
  render();
});
window.addEventListener('thermaliq:unauthorized', () => {
  token.clear();
  nav.hidden = true;
  signout.hidden = true;
  main.replaceChildren(signInForm('Your token was refused; sign in again.'));
});
window.addEventListener('hashchange', render);
render();
