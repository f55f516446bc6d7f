// The API client: the bearer token lives in sessionStorage (this tab only).
const KEY = 'thermaliq.token';
const BASE = '/v1/thermaliq';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    const e = body && body.error;
    super(e ? `${e.type}: ${e.message}` : `HTTP ${status}`);
    this.status = status;
    this.type = e ? e.type : null;
    this.details = (e && e.details) || [];
  }
}

/** Calls the API. `body` objects are sent as JSON, strings/Blobs as given. */
export async function api(path, { method = 'GET', body, headers = {}, raw = false, signingIn = false } = {}) {
  const h = { Authorization: `Bearer ${token.get() || ''}`, ...headers };
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Blob)) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(BASE + path, { method, headers: h, body: payload });
  if (!r.ok) {
    let parsed = null;
    try { parsed = await r.json(); } catch (_) { parsed = null; }
    const err = new ApiError(r.status, parsed);
    if (r.status === 401 && !signingIn) window.dispatchEvent(new CustomEvent('thermaliq:unauthorized'));
    throw err;
  }
  if (raw) return r;
  return r.status === 204 ? null : r.json();
}

/**
 * An endpoint that may not exist on this server (analytics being added):
 * `{data}` when it answers, `{missing: true}` on 404/405, `{error}` otherwise.
 */
export async function attempt(path) {
  try {
    return { data: await api(path) };
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return { missing: true, error: e };
    return { error: e };
  }
}

/** Upload with progress (fetch has no upload progress; XMLHttpRequest does). */
export function upload(path, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', BASE + path);
    x.setRequestHeader('Authorization', `Bearer ${token.get() || ''}`);
    x.setRequestHeader('Content-Type', contentType);
    x.upload.onprogress = (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); };
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch (_) { body = null; }
      resolve({ status: x.status, body });
    };
    x.onerror = () => reject(new Error('network error'));
    x.send(file);
  });
}

export const enc = encodeURIComponent;
