// The console's only way to the server's data: GraphQL over POST /graphql, an enhed's photo
// upload (PUT /enhed/{enhedId}/fotos, R31), downloads under /export/, plus the development login
// (POST /admin/dev-token, only with --dev-tokens).
//
// Two ways to be logged in:
// - a token (pasted, or from the development login) sent as `Authorization: Bearer`; it lives in
//   this browser tab's sessionStorage, never in localStorage, and no cookie is sent;
// - a session (login through OpenID Connect, /auth/login, when the page says data-oidc="true"):
//   the server keeps the tokens and the browser an HttpOnly cookie; every request goes with the
//   cookie (credentials: 'same-origin') and the session's CSRF token as `X-CSRF-Token`. When the
//   session has ended (SESSION_EXPIRED), the console asks the person to log in again in a popup
//   (`onSessionExpired`) and sends the request once more; what they typed stays in the form.

const TOKEN_KEY = 'plejeoverblik:token';
let memoryToken = null;

function session() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function getToken() {
  const s = session();
  return (s ? s.getItem(TOKEN_KEY) : memoryToken) || null;
}

/** Stores the token (without a leading "Bearer "); empty forgets it. */
export function setToken(value) {
  const t = String(value ?? '').trim().replace(/^bearer\s+/i, '').trim();
  const s = session();
  if (s) {
    if (t) s.setItem(TOKEN_KEY, t);
    else s.removeItem(TOKEN_KEY);
  } else {
    memoryToken = t || null;
  }
}

// ---------------------------------------------------------------------------------------------
// The session (OpenID Connect through the server)

/** The session as /auth/session gives it ({ subject, name, cvr, roles, csrf, expiresAt }), or
 * null; `sessionMode` stays on from a session found until Log ud or a new start, also while
 * the session has ended and the person is logging in again. */
let current = null;
let sessionMode = false;
let relogin = null;
let pendingRelogin = null;

/** Whether the console runs on a session (cookie and CSRF token) rather than a token. */
export function inSession() {
  return sessionMode;
}

/**
 * Reads the session (GET /auth/session). Resolves to it (and turns session mode on), or to null
 * when there is none (401). A session replaces a token this tab may hold.
 */
export async function readSession() {
  let response;
  try {
    response = await fetch('/auth/session', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError([{ message: 'Serveren kunne ikke nås. Tjek forbindelsen, og prøv igen.', extensions: { code: 'NETWORK' } }]);
  }
  if (response.status === 401 || response.status === 404) {
    current = null;
    return null;
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || typeof body?.csrf !== 'string' || !body.csrf) {
    throw new ApiError([{ message: `Serveren svarede uventet om login (HTTP ${response.status}).`, extensions: { code: 'HTTP' } }]);
  }
  current = body;
  sessionMode = true;
  setToken('');
  return body;
}

/** Leaves session mode (the console starts over). */
export function forgetSession() {
  current = null;
  sessionMode = false;
}

/**
 * Log ud of the session: POST /auth/logout with the CSRF token. Resolves to the address to go
 * to (the identity provider's end of session), or null when the session had already ended.
 */
export async function endSession({ again = false } = {}) {
  // No token at hand (or a stale one, below): the server is asked for the session's own.
  if (!current?.csrf) await readSession().catch(() => null);
  const csrf = current?.csrf;
  if (!csrf) {
    forgetSession();
    return null;
  }
  let response;
  try {
    response = await fetch('/auth/logout', {
      method: 'POST',
      headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError([{ message: 'Serveren kunne ikke nås, så du blev ikke logget ud. Prøv igen.', extensions: { code: 'NETWORK' } }]);
  }
  if (response.status === 401) {
    forgetSession();
    return null;
  }
  if (response.status === 403 && !again) {
    // A login in another tab gave the session a new CSRF token.
    current = null;
    return endSession({ again: true });
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(refusal(body, response.status, `Du blev ikke logget ud (HTTP ${response.status}). Prøv igen.`));
  forgetSession();
  // Only a web address (never a javascript: or data: URL) is followed.
  let to = null;
  try {
    to = typeof body?.redirect === 'string' && body.redirect ? new URL(body.redirect, location.origin) : null;
  } catch {
    to = null;
  }
  return to && (to.protocol === 'https:' || to.protocol === 'http:') ? to.href : null;
}

/**
 * Who asks the person to log in again when the session has ended: `fn()` resolves to true when
 * a session is back (then the request is sent again), false when they gave up, or an ApiError
 * to throw instead. Called once however many requests found the session ended at a time.
 */
export function onSessionExpired(fn) {
  relogin = fn;
}

/** The codes that mean the session has ended (a cookie the browser already dropped makes the
 * request anonymous: UNAUTHENTICATED). */
const SESSION_GONE = new Set(['SESSION_EXPIRED', 'UNAUTHENTICATED']);

function sessionEnded() {
  return new ApiError([{
    message: 'Din session er udløbet, så det blev ikke gemt. Det, du har skrevet, står stadig i felterne: prøv igen, og log ind, når du bliver bedt om det.',
    extensions: { code: 'SESSION_EXPIRED' },
  }]);
}

/**
 * Runs `send` (a request); in session mode a refused CSRF token is read again once (a login in
 * another tab gives a new one), and an ended session asks the person to log in again (unless
 * `quiet`, for requests nobody is waiting for, such as a lock's heartbeat) before one more try.
 */
async function withSession(send, { quiet = false } = {}) {
  try {
    return await send();
  } catch (e) {
    if (!sessionMode || !(e instanceof ApiError)) throw e;
    if (e.code === 'CSRF_REFUSED') {
      const fresh = await readSession().catch(() => null);
      if (fresh) return send();
    } else if (!SESSION_GONE.has(e.code)) {
      throw e;
    }
    if (quiet || !relogin) throw sessionEnded();
    pendingRelogin ??= Promise.resolve()
      .then(() => relogin())
      .catch((err) => (err instanceof ApiError ? err : false))
      .finally(() => { pendingRelogin = null; });
    const outcome = await pendingRelogin;
    if (outcome === true) return send();
    throw outcome instanceof ApiError ? outcome : sessionEnded();
  }
}

/** The headers and credentials that say who is asking: the session's cookie and CSRF token, or
 * the token as `Authorization: Bearer` (no cookie). */
function who(headers) {
  if (sessionMode) {
    if (current?.csrf) headers['X-CSRF-Token'] = current.csrf;
    return 'same-origin';
  }
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return 'omit';
}

// ---------------------------------------------------------------------------------------------

/** The errors of a GraphQL response (or of the transport), with the Danish messages. */
export class ApiError extends Error {
  constructor(errors) {
    const list = Array.isArray(errors) && errors.length ? errors : [{ message: 'Der opstod en ukendt fejl.' }];
    super(list.map((e) => e.message).filter(Boolean).join(' '));
    this.errors = list;
    this.code = list[0].extensions?.code ?? null;
    /** Field name (the API's, last path segment) -> Danish messages. */
    this.fields = {};
    for (const e of list) {
      const details = e.extensions?.details ?? [];
      for (const d of details) {
        const f = lastSegment(d.field);
        (this.fields[f] ??= []).push(d.message);
      }
      if (!details.length) {
        for (const f of e.extensions?.fields ?? []) (this.fields[lastSegment(f)] ??= []).push(e.message);
      }
    }
  }
}

function lastSegment(path) {
  return String(path ?? '').split('.').pop();
}

/** Runs a GraphQL operation; resolves to `data` or throws an ApiError. `quiet`: a request
 * nobody waits for (a heartbeat) never asks the person to log in again. `background`: the
 * console sends it on its own (the lock's heartbeat), so unless the person has touched the page
 * since the last request it says so, and the session's idle timeout runs on (issue 22). */
export function gql(query, variables = {}, { quiet = false, background = false } = {}) {
  return withSession(() => gqlOnce(query, variables, background), { quiet });
}

// The last key, click or scroll on the page, and the last request that counted as use.
let touchedAt = 0;
let usedAt = Date.now();
for (const type of ['keydown', 'pointerdown', 'input', 'wheel']) {
  addEventListener(type, () => { touchedAt = Date.now(); }, { capture: true, passive: true });
}

async function gqlOnce(query, variables, background = false) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (background && touchedAt <= usedAt) headers['Plejeoverblik-Background'] = '1';
  else usedAt = Date.now();
  const credentials = who(headers);
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      credentials,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError([{ message: 'Serveren kunne ikke nås. Tjek forbindelsen, og prøv igen.', extensions: { code: 'NETWORK' } }]);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!body || typeof body !== 'object') {
    throw new ApiError([{ message: `Serveren svarede uventet (HTTP ${response.status}).`, extensions: { code: statusCode(response.status) } }]);
  }
  if (Array.isArray(body.errors) && body.errors.length) throw new ApiError(body.errors);
  if (!response.ok) throw new ApiError(refusal(body, response.status, `Serveren svarede uventet (HTTP ${response.status}).`));
  return body.data;
}

/** The code of a refusal that says no more than its HTTP status. */
function statusCode(status) {
  return status === 401 ? 'UNAUTHENTICATED' : 'HTTP';
}

/** The errors of a refusal outside GraphQL: `{ errors: [...] }`, `{ code, message }` (the
 * server's /auth answers) or only the status. */
function refusal(body, status, fallback) {
  if (Array.isArray(body?.errors) && body.errors.length) return body.errors;
  if (typeof body?.code === 'string') return [{ message: body.message || fallback, extensions: { code: body.code } }];
  return [{ message: fallback, extensions: { code: statusCode(status) } }];
}

/** What an upload's refusal is about when the server says no more than its HTTP status. */
const UPLOAD_STATUS = {
  413: { message: 'Filen er for stor.', extensions: { code: 'PAYLOAD_TOO_LARGE', fields: ['fil'] } },
  415: { message: 'Filen er ikke et billede i JPEG-, PNG- eller WebP-format.', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', fields: ['fil'] } },
};

/**
 * R31: uploads a photo of an enhed (its own id, not the global one) with its alt text; the
 * caller holds the enhed's lock. Resolves to `{ url, alt, bredde, hoejde }` or throws an
 * ApiError whose `fields` name `fil` or `alt`.
 */
export function uploadFoto(enhedId, file, alt) {
  return withSession(() => uploadFotoOnce(enhedId, file, alt));
}

async function uploadFotoOnce(enhedId, file, alt) {
  const headers = { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json' };
  const credentials = who(headers);
  let response;
  try {
    response = await fetch(`/enhed/${encodeURIComponent(enhedId)}/fotos?alt=${encodeURIComponent(alt)}`, {
      method: 'PUT',
      headers,
      body: file,
      credentials,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError([{ message: 'Serveren kunne ikke nås. Tjek forbindelsen, og prøv igen.', extensions: { code: 'NETWORK' } }]);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(UPLOAD_STATUS[response.status] && !body?.errors?.length ? [UPLOAD_STATUS[response.status]]
      : refusal(body, response.status, `Billedet kunne ikke gemmes (HTTP ${response.status}).`));
  }
  if (!body?.url) throw new ApiError([{ message: 'Serveren svarede uventet på billedet.', extensions: { code: 'HTTP' } }]);
  return body;
}

/** The development login: a token for {role, cvr, name} from the server (only with --dev-tokens). */
export async function devToken({ role, cvr, name }) {
  let response;
  try {
    response = await fetch('/admin/dev-token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ role, cvr, name }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError([{ message: 'Serveren kunne ikke nås.' }]);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || !body?.token) {
    throw new ApiError([{ message: body?.error ?? `Udviklingslogin er ikke tilgængeligt (HTTP ${response.status}).` }]);
  }
  return body.token;
}

/** Downloads a file of the API (`/export/...`) with the token (or the session's cookie), and
 * saves it under the name the server gives (Content-Disposition). The body is read as it
 * streams in. */
export async function download(path) {
  if (!path.startsWith('/export/')) throw new ApiError([{ message: 'Kun filer under /export/ kan hentes.' }]);
  const response = await withSession(async () => {
    const headers = {};
    const credentials = who(headers);
    let r;
    try {
      r = await fetch(path, { headers, credentials, cache: 'no-store' });
    } catch {
      throw new ApiError([{ message: 'Serveren kunne ikke nås. Tjek forbindelsen, og prøv igen.', extensions: { code: 'NETWORK' } }]);
    }
    if (!r.ok) {
      const body = await r.json().catch(() => null);
      throw new ApiError(refusal(body, r.status, `Filen kunne ikke hentes (HTTP ${r.status}).`));
    }
    return r;
  });
  const blob = await response.blob();
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'eksport';
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
