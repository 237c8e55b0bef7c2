// The console's only way to the server's data: GraphQL over POST /graphql with the token as
// `Authorization: Bearer`, an enhed's photo upload (PUT /enhed/{enhedId}/fotos, R31), plus the
// development login (POST /admin/dev-token, only with --dev-tokens). The token lives in this browser tab's sessionStorage, never in localStorage.

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

/** Runs a GraphQL operation; resolves to `data` or throws an ApiError. */
export async function gql(query, variables = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
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
    throw new ApiError([{ message: `Serveren svarede uventet (HTTP ${response.status}).`, extensions: { code: 'HTTP' } }]);
  }
  if (Array.isArray(body.errors) && body.errors.length) throw new ApiError(body.errors);
  return body.data;
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
export async function uploadFoto(enhedId, file, alt) {
  const headers = { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`/enhed/${encodeURIComponent(enhedId)}/fotos?alt=${encodeURIComponent(alt)}`, {
      method: 'PUT',
      headers,
      body: file,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError([{ message: 'Serveren kunne ikke nås. Tjek forbindelsen, og prøv igen.', extensions: { code: 'NETWORK' } }]);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(Array.isArray(body?.errors) && body.errors.length ? body.errors
      : [UPLOAD_STATUS[response.status] ?? { message: `Billedet kunne ikke gemmes (HTTP ${response.status}).`, extensions: { code: 'HTTP' } }]);
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

/** Downloads a file of the API (`/export/...`) with the token, and saves it under the name the
 * server gives (Content-Disposition). The body is read as it streams in. */
export async function download(path) {
  if (!path.startsWith('/export/')) throw new ApiError([{ message: 'Kun filer under /export/ kan hentes.' }]);
  const headers = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { headers, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError([{ message: 'Serveren kunne ikke nås. Tjek forbindelsen, og prøv igen.', extensions: { code: 'NETWORK' } }]);
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(body?.errors ?? [{ message: `Filen kunne ikke hentes (HTTP ${response.status}).` }]);
  }
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
