// The test identity provider alone (idp.mjs, no server binary or browser needed): discovery, its
// login page, and the code flow by hand as the server does it (PKCE S256, state, nonce,
// client_secret_basic): the ID token carries name, cvr and roles; a refresh token is issued and
// gives a new ID token with the same claims; a code cannot be used twice; end_session knows the
// server's page after logout.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ACCOUNTS, CLIENT_ID, CLIENT_SECRET, startIdp } from './idp.mjs';

const PUBLIC_URL = 'http://127.0.0.1:9';
const REDIRECT_URI = `${PUBLIC_URL}/auth/callback`;
let idp;
let discovery;

before(async () => {
  idp = await startIdp({ publicUrl: PUBLIC_URL, idTokenTtl: 30, accessTokenTtl: 30 });
  discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
});

after(async () => {
  await idp?.stop();
});

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const payloadOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** fetch with a cookie jar for one host (paths ignored: every cookie goes with every request). */
function browserLike() {
  const jar = new Map();
  return async function go(url, init = {}) {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const r = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const [name, value] = [pair.slice(0, i), pair.slice(i + 1)];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name);
      else jar.set(name, value);
    }
    return r;
  };
}

const form = (fields) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** What the server does at /auth/login, then the person on the provider's pages, up to the
 * redirect to the callback. Resolves to { code, state, nonce, verifier, callback }. */
async function authorize(login, { scope = 'openid profile offline_access' } = {}) {
  const go = browserLike();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const auth = new URL(discovery.authorization_endpoint);
  auth.search = new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', scope, redirect_uri: REDIRECT_URI, state, nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
  }).toString();
  let r = await go(auth);
  let pages = 0;
  while (r.status >= 300 && r.status < 400) {
    const location = new URL(r.headers.get('location'), idp.issuer);
    if (location.href.startsWith(REDIRECT_URI)) {
      const q = location.searchParams;
      assert.equal(q.get('state'), state);
      assert.equal(q.get('iss'), idp.issuer, 'RFC 9207 iss in the response');
      assert.equal(q.get('error'), null, `${q.get('error')}: ${q.get('error_description')}`);
      return { code: q.get('code'), state, nonce, verifier, callback: location.href, go };
    }
    r = await go(location);
    if (r.status === 200) {
      // One of the provider's pages: the login form, then the consent.
      const page = await r.text();
      const action = new URL(/<form[^>]*action="([^"]+)"/.exec(page)[1].replaceAll('&amp;', '&'), idp.issuer);
      const prompt = /name="prompt" value="([a-z]+)"/.exec(page)[1];
      pages += 1;
      assert.ok(pages <= 2, 'at most a login and a consent page');
      r = await go(action, form(prompt === 'login' ? { prompt, login, password: 'hvad-som-helst' } : { prompt }));
    }
  }
  throw new Error(`the provider answered ${r.status}: ${await r.text()}`);
}

function tokenRequest(fields, { secret = CLIENT_SECRET } = {}) {
  return fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

test('discovery: code flow with PKCE S256, client_secret_basic, end_session, the claims', async () => {
  assert.equal(discovery.issuer, idp.issuer);
  assert.ok(discovery.response_types_supported.includes('code'));
  assert.ok(discovery.code_challenge_methods_supported.includes('S256'));
  assert.ok(discovery.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
  assert.ok(discovery.grant_types_supported.includes('refresh_token'));
  assert.match(discovery.end_session_endpoint, /^http:\/\/127\.0\.0\.1:\d+\/session\/end$/);
  for (const c of ['sub', 'name', 'cvr', 'roles']) assert.ok(discovery.claims_supported.includes(c), c);
  assert.ok(discovery.scopes_supported.includes('offline_access'));
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].alg, 'RS256');
  assert.equal(jwks.keys[0].d, undefined, 'only the public key is published');
});

test('the login page renders (devInteractions), and an authorization request without PKCE is refused', async () => {
  const auth = new URL(discovery.authorization_endpoint);
  const params = { client_id: CLIENT_ID, response_type: 'code', scope: 'openid profile', redirect_uri: REDIRECT_URI, state: 's', nonce: 'n' };
  auth.search = new URLSearchParams(params).toString();
  const noPkce = await fetch(auth, { redirect: 'manual' });
  const back = new URL(noPkce.headers.get('location'));
  assert.equal(back.origin + back.pathname, REDIRECT_URI);
  assert.equal(back.searchParams.get('error'), 'invalid_request');
  assert.match(back.searchParams.get('error_description'), /PKCE/);

  const go = browserLike();
  auth.search = new URLSearchParams({ ...params, code_challenge: b64url(createHash('sha256').update('x'.repeat(43)).digest()), code_challenge_method: 'S256' }).toString();
  const r = await go(auth);
  assert.equal(r.status, 303);
  const login = await go(new URL(r.headers.get('location'), idp.issuer));
  assert.equal(login.status, 200);
  const page = await login.text();
  assert.match(page, /<title>Sign-in/);
  assert.match(page, /name="login"/);
  assert.match(page, /name="password"/);
});

test('a code flow by hand: the ID token carries name, cvr and roles; refresh; a code used twice is refused', async () => {
  // With another verifier, or another secret: refused.
  const { code } = await authorize('kommune');
  assert.equal((await (await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: b64url(randomBytes(32)) })).json()).error, 'invalid_grant');
  const { code: code2, verifier: verifier2, nonce: nonce2 } = await authorize('kommune');
  // (A code may be tried again after a wrong verifier; a second one keeps this test clear of that.)
  assert.equal((await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier2 }, { secret: 'forkert' })).status, 401);

  const r = await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier2 });
  const tokens = await r.json();
  assert.equal(r.status, 200, JSON.stringify(tokens));
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(tokens.refresh_token, 'a refresh token is issued');
  assert.ok(tokens.expires_in <= 30);
  const id = payloadOf(tokens.id_token);
  assert.equal(id.iss, idp.issuer);
  assert.equal(id.aud, CLIENT_ID);
  assert.equal(id.nonce, nonce2);
  assert.equal(id.sub, 'kommune');
  assert.equal(id.name, ACCOUNTS.kommune.name);
  assert.equal(id.cvr, '29189404');
  assert.deepEqual(id.roles, ['driftsoverenskomstansvarlig']);
  assert.ok(id.exp - id.iat <= 30);

  // userinfo answers the same claims with the access token.
  const ui = await (await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
  assert.deepEqual({ cvr: ui.cvr, roles: ui.roles, name: ui.name }, { cvr: '29189404', roles: ['driftsoverenskomstansvarlig'], name: 'Karen Kommune' });

  // Refresh: a new ID token with the same claims, and a new refresh token (rotation).
  const rr = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  const refreshed = await rr.json();
  assert.equal(rr.status, 200, JSON.stringify(refreshed));
  const id2 = payloadOf(refreshed.id_token);
  assert.deepEqual([id2.sub, id2.cvr, id2.roles, id2.name], ['kommune', '29189404', ['driftsoverenskomstansvarlig'], 'Karen Kommune']);
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'rotated');

  // The same code again: refused.
  const again = await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier2 });
  assert.equal(again.status, 400);
  assert.equal((await again.json()).error, 'invalid_grant');
});

test('a refresh token without offline_access too, and a redaktør\'s claims', async () => {
  const { code, verifier } = await authorize('redaktoer', { scope: 'openid profile' });
  const tokens = await (await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier })).json();
  assert.ok(tokens.refresh_token, JSON.stringify(tokens));
  const id = payloadOf(tokens.id_token);
  assert.deepEqual([id.sub, id.cvr, id.roles], ['redaktoer', '90000001', ['redaktoer']]);
});

test('end_session: asks the person, then returns to the server\'s page after logout; another page is refused', async () => {
  const { code, verifier, go } = await authorize('kommune');
  const tokens = await (await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier })).json();
  const end = new URL(discovery.end_session_endpoint);
  end.search = new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: `${PUBLIC_URL}/admin/` }).toString();
  const ask = await go(end);
  assert.equal(ask.status, 200);
  const page = await ask.text();
  assert.match(page, /<title>Logout Request<\/title>/);
  assert.match(page, /Yes, sign me out/);
  const action = /<form[^>]*action="([^"]+)"/.exec(page)[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)[1];
  const done = await go(action, form({ xsrf, logout: 'yes' }));
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), `${PUBLIC_URL}/admin/`);
  // The provider's session is gone: a new authorization asks for the login again.
  end.searchParams.set('post_logout_redirect_uri', 'https://evil.example/');
  const bad = await fetch(end, { redirect: 'manual' });
  assert.equal(bad.status, 400);
});
