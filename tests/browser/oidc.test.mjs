// The admin console's login through OpenID Connect (the server as backend-for-frontend) against
// a real provider (idp.mjs: oidc-provider with its development login and consent pages):
// - log in through the provider's pages (back at the view one came from), see one's kommune,
//   edit an agreement and see it saved with the ID token's sub as author, log out (the session
//   is gone at once, and the provider's end-session page is reached); a person without a role
//   here gets "Ingen adgang" with Log ud;
// - a callback with an altered state, a callback used twice, and the person cancelling at the
//   provider: the Danish "Login mislykkedes" page and no session;
// - CSRF: pages of another origin (127.0.0.1 on another port: the same site, so the Lax cookie
//   IS sent; and 127.0.0.2, another site) post a mutation to /graphql with auto-submitting forms
//   and with fetch(credentials: 'include'): refused (415 for a body that is not JSON, 403
//   CSRF_REFUSED), nothing created; from the console's own origin without (or with a wrong)
//   X-CSRF-Token, or with Sec-Fetch-Site other than same-origin: 403 too;
// - a session that ends while an agreement is edited: saving asks to log in again in a popup,
//   the typed value stays, and the save goes through after the login (also when the dialog was
//   closed first);
// - the playground at / in a browser logged in to the console: its queries (and introspection)
//   go without the session cookie, so they are answered (anonymous, or the token in its field)
//   and never refused as CSRF;
// - axe-core on the login page (with the new card), the failed login's page, "Ingen adgang" and
//   the dialog.
//
// Needs the server binary with the OIDC flags (`--public-url`, `--oidc-issuer`, ...). Run:
//   cd tests/browser && node --test oidc.test.mjs     (ADMIN_FROM_DISK=1 as in admin.test.mjs)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, axeViolations, freePort, launchBrowser, makeToken, openPage, startServer } from './harness.mjs';
import { startIdp } from './idp.mjs';

const ROSKILDE_CVR = '29189404';
const SESSION_COOKIE = '__Host-plejeoverblik-session';
const FROM_DISK = process.env.ADMIN_FROM_DISK === '1';

let browser;
/** The server with OIDC and its provider: { idp, server, base }. */
let main;
let checker;

/** A provider and the server pointed at it (the server's port first: the provider's client
 * needs the redirect URI, the server the issuer). */
async function startPair({ extraArgs = [], idpOptions = {} } = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const idp = await startIdp({ publicUrl: base, ...idpOptions });
  let server;
  try {
    server = await startServer({ port, extraArgs: [...idp.serverArgs(), ...extraArgs] });
  } catch (e) {
    await idp.stop();
    throw e;
  }
  assert.equal(server.baseUrl, base);
  return {
    idp,
    server,
    base,
    async stop() {
      await server.stop();
      await idp.stop();
    },
  };
}

before(async () => {
  main = await startPair();
  browser = await launchBrowser();
  checker = await makeToken({ role: 'driftsoverenskomstansvarlig', cvr: ROSKILDE_CVR, name: 'Kontrol Kontrolsen', subject: 'kontrol' });
});

after(async () => {
  await browser?.close();
  await main?.stop();
});

/** A page of the server that may also reach the provider (and `allow`), with
 * ADMIN_FROM_DISK applied as in admin.test.mjs. */
async function open(pair = main, { allow = [], viewport } = {}) {
  const p = await openPage(browser, pair.base, { allow: [pair.idp.issuer, ...allow], ...(viewport ? { viewport } : {}) });
  if (FROM_DISK) {
    await p.context.route(/\/admin\/assets\/[^/]+\/[a-z]+\.(js|css)$/, async (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop();
      const body = await readFile(path.join(ROOT, 'admin', name));
      await route.fulfill({ status: 200, contentType: name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8', body });
    });
  }
  return p;
}

/** The page's problems, less what these flows cause on purpose: the browser's console line for
 * an answer 400 (the page of a failed login), 401 (no session yet, an ended session) or 403 (a
 * refused CSRF attempt), and the provider's development pages fetching their web font from
 * another host. */
async function problems(p) {
  return (await p.problems()).filter((line) => !/Failed to load resource: the server responded with a status of 40[013]/.test(line)
    && !/fonts\.googleapis\.com|net::ERR_BLOCKED_BY_CLIENT/.test(line));
}

async function noProblems(p) {
  assert.deepEqual(await problems(p), [], 'no request to another host, console error or CSP violation');
}

async function noAxeViolations(page, where) {
  const v = await axeViolations(page);
  assert.deepEqual(v, [], `axe-core on ${where}: ${JSON.stringify(v, null, 2)}`);
}

/** The first of several waits (the others' failures are swallowed). */
function firstOf(waits) {
  return new Promise((resolve, reject) => {
    let left = waits.length;
    for (const [name, promise] of waits) {
      promise.then(() => resolve(name), (e) => {
        left -= 1;
        if (left === 0) reject(e);
      });
    }
  });
}

/**
 * The person on the provider's pages: the login form (any password) and, the first time this
 * account meets the client in this browser, the consent. Waits until the browser is back on the
 * server (any page of it). A provider that still has a session of the person sends the browser
 * straight back; then there is nothing to fill in.
 */
async function atProvider(page, pair, login, { until } = {}) {
  const serverOrigin = new URL(pair.base).origin;
  const back = (u) => u.origin === serverOrigin;
  // A popup may close itself once back at the console: then there is nothing more to do.
  const unlessClosed = async (promise) => {
    try {
      return await promise;
    } catch (e) {
      if (page.isClosed()) return 'closed';
      throw e;
    }
  };
  for (let step = 0; step < 4; step++) {
    if (page.isClosed() || back(new URL(page.url()))) return;
    const where = await unlessClosed(firstOf([
      ['back', page.waitForURL(back, { timeout: 20_000, waitUntil: 'commit' })],
      ['login', page.locator('input[name="login"]').waitFor({ timeout: 20_000 })],
      ['consent', page.getByRole('button', { name: 'Continue' }).waitFor({ timeout: 20_000 })],
      ...(until ? [['until', until.waitFor({ timeout: 20_000 })]] : []),
    ]));
    if (where === 'back' || where === 'closed' || where === 'until') return;
    let button;
    if (where === 'login') {
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill('hvad-som-helst');
      button = page.getByRole('button', { name: 'Sign-in' });
    } else {
      button = page.getByRole('button', { name: 'Continue' });
    }
    // The next page (of the provider, or the server's at the end of the redirects).
    if (await unlessClosed(Promise.all([page.waitForEvent('load', { timeout: 20_000 }), button.click()])) === 'closed') return;
  }
  throw new Error(`still at the provider: ${page.url()}`);
}

/** Opens /admin/, takes the card "Log ind med identitetsudbyderen", logs in at the provider and
 * waits for the start view. */
async function login(pair, accountLogin = 'kommune', { start = 'Serviceleverancer', p: given } = {}) {
  const p = given ?? await open(pair);
  const { page } = p;
  await page.goto(`${pair.base}/admin/`);
  await page.getByRole('heading', { name: 'Log ind', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Log ind med identitetsudbyderen' }).click();
  // A fresh browser: the provider shows its login page.
  await page.waitForURL((u) => u.href.startsWith(`${pair.idp.issuer}/`));
  await atProvider(page, pair, accountLogin);
  await page.getByRole('heading', { name: start, level: 1 }).waitFor();
  if (start === 'Serviceleverancer') await page.locator('#sl-antal').waitFor();
  return p;
}

/** GET /auth/session with the cookies the page's browser has for the server (from Node, so
 * that the page's own CSP does not matter): { status, body }. */
async function sessionOf(page, pair = main) {
  const { base } = pair;
  const cookie = (await page.context().cookies(base)).map((c) => `${c.name}=${c.value}`).join('; ');
  const r = await fetch(`${base}/auth/session`, { headers: { Accept: 'application/json', ...(cookie ? { Cookie: cookie } : {}) } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

/** GraphQL through the API with the development token of a Roskilde colleague (to check what
 * the browser did). */
async function api(pair, query, variables = {}) {
  const r = await fetch(`${pair.base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${checker}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

const ONE = `query($id: ID!) { serviceleverance(id: $id) { id navn aftaleidentifikation revision laas { subject navn }
  versions { nummer author authorName kommentar } } }`;
const NAMED = `query($text: String) { serviceleverancer(text: $text, first: 100) { totalCount nodes { id navn } } }`;

/** Opens the n-th agreement of the list, locks it and waits for the form; returns its id. */
async function lockAgreement(page, n) {
  const link = page.locator('#indhold table a, #indhold li a').filter({ hasNotText: /Opret|demo/ }).nth(n);
  const navn = (await link.textContent()).trim();
  await link.click();
  await page.getByRole('heading', { name: navn, level: 1 }).waitFor();
  const id = decodeURIComponent(new URL(page.url()).hash.replace(/^#\/sl\//, ''));
  await page.getByRole('button', { name: 'Lås og rediger' }).click();
  await page.getByRole('button', { name: 'Gem', exact: true }).waitFor();
  await page.locator('#sl-laas').getByText(/^Låst af dig siden/).waitFor();
  return { id, navn };
}

test('log in through the provider, see the kommune, edit an agreement, log out: the session is gone', async () => {
  const p = await open();
  const { page, context } = p;
  try {
    await page.goto(`${main.base}/admin/`);
    await page.getByRole('heading', { name: 'Log ind', level: 1 }).waitFor();
    // The identity provider's card comes first; the token (and the development login) follow.
    const cards = page.locator('.login-grid > .card');
    assert.equal(await cards.first().getByRole('heading', { level: 2 }).textContent(), 'Log ind');
    await cards.first().getByRole('button', { name: 'Log ind med identitetsudbyderen' }).waitFor();
    await page.getByRole('heading', { name: 'Log ind med token', level: 2 }).waitFor();
    assert.equal(await page.locator('body').getAttribute('data-oidc'), 'true');
    assert.equal((await sessionOf(page)).status, 401, 'no session before the login');
    assert.equal((await sessionOf(page)).body?.code, 'UNAUTHENTICATED');
    await noAxeViolations(page, 'the login page with the provider\'s card');
    // The picture for the README (without the focus ring of the heading the console focuses on
    // load; the next step loads another view anyway).
    await page.evaluate(() => document.activeElement?.blur());
    await mkdir(path.join(ROOT, 'tests', 'browser', 'out'), { recursive: true });
    const shot = path.join(ROOT, 'tests', 'browser', 'out', 'admin-login-oidc.png');
    await page.screenshot({ path: shot, fullPage: false });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir(path.join(ROOT, 'docs', 'screenshots'), { recursive: true });
      await copyFile(shot, path.join(ROOT, 'docs', 'screenshots', 'admin-login-oidc.png'));
    }

    // Back at the view one came from.
    await page.goto(`${main.base}/admin/#/handling`);
    await page.getByRole('button', { name: 'Log ind med identitetsudbyderen' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${main.idp.issuer}/`));
    await atProvider(page, main, 'kommune');
    await page.getByRole('heading', { name: 'Kræver handling', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/handling');
    await page.locator('#bruger').getByText('Karen Kommune · Driftsoverenskomstansvarlig · Roskilde Kommune').waitFor();

    // The session: an HttpOnly, Secure, SameSite=Lax host cookie; no token in the page's storage.
    const cookie = (await context.cookies(main.base)).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie, 'the session cookie');
    assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path], [true, true, 'Lax', '/']);
    assert.equal(await page.evaluate(() => document.cookie.includes('plejeoverblik-session')), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('plejeoverblik:token')), null);
    const s = await sessionOf(page);
    assert.equal(s.status, 200);
    assert.equal(s.body.subject, 'kommune');
    assert.equal(s.body.name, 'Karen Kommune');
    assert.equal(s.body.cvr, ROSKILDE_CVR);
    assert.deepEqual(s.body.roles, ['driftsoverenskomstansvarlig']);
    assert.ok(typeof s.body.csrf === 'string' && s.body.csrf.length >= 16, 'a CSRF token');
    assert.ok(Date.parse(s.body.expiresAt) > Date.now(), 'expiresAt ahead');

    // Edit an agreement as in the user guide: lock, change, save, check in.
    await page.locator('#menu').getByRole('link', { name: 'Serviceleverancer' }).click();
    await page.locator('#sl-antal').waitFor();
    const { id } = await lockAgreement(page, 0);
    await page.getByLabel('Aftaleidentifikation').fill('OIDC-2026-1');
    await page.getByRole('button', { name: 'Gem', exact: true }).click();
    await page.locator('#status', { hasText: 'Gemt og publiceret' }).waitFor();
    await page.getByRole('button', { name: 'Tjek ind' }).click();
    const checkIn = page.getByRole('dialog', { name: 'Tjek ind' });
    await checkIn.getByLabel('Kommentar (valgfri)').fill('Rettet efter login med OIDC');
    await checkIn.getByRole('button', { name: 'Tjek ind' }).click();
    await page.locator('#status', { hasText: /Tjekket ind som version \d+/ }).waitFor();
    const saved = (await api(main, ONE, { id })).serviceleverance;
    assert.equal(saved.aftaleidentifikation, 'OIDC-2026-1');
    assert.equal(saved.laas, null);
    const v = saved.versions.find((x) => x.kommentar === 'Rettet efter login med OIDC');
    assert.ok(v, 'the version with the comment');
    assert.equal(v.author, 'kommune', 'the ID token\'s sub is the author');
    assert.equal(v.authorName, 'Karen Kommune');

    // Log ud: the server ends the session at once, and the browser goes to the provider.
    const csrf = (await sessionOf(page)).body.csrf;
    await page.getByRole('button', { name: 'Log ud' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${main.idp.issuer}/session/end`));
    await page.getByRole('button', { name: 'Yes, sign me out' }).waitFor();
    const gone = await fetch(`${main.base}/auth/session`, { headers: { Cookie: `${SESSION_COOKIE}=${cookie.value}`, Accept: 'application/json' } });
    assert.equal(gone.status, 401, 'the old cookie no longer opens a session');
    const old = await fetch(`${main.base}/graphql`, {
      method: 'POST',
      headers: { Cookie: `${SESSION_COOKIE}=${cookie.value}`, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ query: 'mutation($id: ID!) { lockServiceleverance(id: $id) { id } }', variables: { id } }),
    });
    assert.equal(old.status, 401, 'a mutation with the old cookie and CSRF token: 401');
    assert.equal((await old.json()).errors?.[0]?.extensions?.code, 'SESSION_EXPIRED');
    assert.equal((await api(main, ONE, { id })).serviceleverance.laas, null, 'not locked by it');
    // The provider's logout returns to the console, which is logged out.
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${main.base}/admin/`);
    await page.getByRole('heading', { name: 'Log ind', level: 1 }).waitFor();
    assert.equal(await page.locator('#bruger').isVisible(), false);
    assert.equal((await sessionOf(page)).status, 401);
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('logged in at the provider but without a role here: "Ingen adgang", and Log ud at hand', async () => {
  const p = await login(main, 'ingen', { start: 'Ingen adgang' });
  try {
    const { page } = p;
    await page.getByText(/ingen af rollerne/).waitFor();
    await page.locator('#bruger').getByText('Ib Ingen').waitFor();
    assert.equal(await page.locator('#menu').isVisible(), false, 'no menu');
    await noAxeViolations(page, 'Ingen adgang');
    await page.getByRole('button', { name: 'Log ud' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${main.idp.issuer}/session/end`));
    assert.equal((await sessionOf(page)).status, 401);
    await noProblems(p);
  } finally {
    await p.close();
  }
});

/** Starts a login in `p` and stops before the callback (the provider holds it): its URL and
 * the browser's cookies at that moment (the login's state cookie among them). */
async function loginUpToCallback(p, pair, accountLogin) {
  const { page, context } = p;
  pair.idp.holdCallbacks(true);
  let href;
  try {
    await page.goto(`${pair.base}/auth/login?return_to=${encodeURIComponent('/admin/')}`);
    const held = page.locator('#callback');
    await atProvider(page, pair, accountLogin, { until: held });
    href = await held.getAttribute('href');
  } finally {
    pair.idp.holdCallbacks(false);
  }
  assert.ok(href?.startsWith(`${pair.base}/auth/callback?`), `the provider's redirect to the callback: ${href}`);
  return { url: new URL(href), cookies: await context.cookies(pair.base) };
}

/** The server's page of a failed login: 400, Danish, "Prøv igen" to /auth/login. */
async function loginFailedPage(page, response) {
  assert.equal(response.status(), 400);
  assert.match(await page.title(), /^Login mislykkedes/);
  await page.getByRole('heading', { name: 'Login mislykkedes', level: 1 }).waitFor();
  const retry = page.getByRole('link', { name: 'Prøv igen' });
  await retry.waitFor();
  assert.match(await retry.getAttribute('href'), /^\/auth\/login(\?|$)/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'da');
}

test('a callback with an altered state, a code used twice, and a login cancelled at the provider: "Login mislykkedes" and no session', async () => {
  const p = await open();
  let replay;
  let cancel;
  try {
    const { page, context } = p;
    // An altered state: refused, and no session.
    const first = await loginUpToCallback(p, main, 'kommune');
    assert.ok(first.url.searchParams.get('code'));
    const tampered = new URL(first.url);
    tampered.searchParams.set('state', `${first.url.searchParams.get('state')}x`);
    await loginFailedPage(page, await page.goto(tampered.href));
    assert.equal((await context.cookies(main.base)).some((c) => c.name === SESSION_COOKIE), false, 'no session cookie');
    assert.equal((await sessionOf(page)).status, 401);
    await noAxeViolations(page, 'the page of a failed login');

    // "Prøv igen" logs in (the provider still knows the person: straight back); the code of that
    // callback is then used again in another browser that has the same login cookies (the state
    // matches): refused, and that browser has no session.
    const second = await loginUpToCallback(p, main, 'kommune');
    const ok = await page.goto(second.url.href);
    assert.ok(ok.status() < 400, `the first use of the code: ${ok.status()}`);
    await page.getByRole('heading', { name: 'Serviceleverancer', level: 1 }).waitFor();
    assert.equal((await sessionOf(page)).status, 200);

    replay = await open();
    await replay.context.addCookies(second.cookies.filter((c) => c.name !== SESSION_COOKIE));
    await loginFailedPage(replay.page, await replay.page.goto(second.url.href));
    assert.equal((await replay.context.cookies(main.base)).some((c) => c.name === SESSION_COOKIE), false, 'no session cookie');
    assert.equal((await sessionOf(replay.page)).status, 401);
    // The same URL once more in the first browser (it has its session already): refused too.
    await loginFailedPage(page, await page.goto(second.url.href));

    // The person cancels at the provider: the provider's error comes back, refused the same way.
    cancel = await open();
    await cancel.page.goto(`${main.base}/admin/`);
    await cancel.page.getByRole('button', { name: 'Log ind med identitetsudbyderen' }).click();
    await cancel.page.locator('input[name="login"]').waitFor();
    const [failed] = await Promise.all([
      cancel.page.waitForResponse((r) => r.url().startsWith(`${main.base}/auth/callback`)),
      cancel.page.getByRole('link', { name: /Cancel/ }).click(),
    ]);
    assert.match(failed.url(), /[?&]error=access_denied/);
    await cancel.page.waitForLoadState();
    await loginFailedPage(cancel.page, failed);
    assert.equal((await sessionOf(cancel.page)).status, 401);
    // Prøv igen starts a new login.
    await cancel.page.getByRole('link', { name: 'Prøv igen' }).click();
    await cancel.page.waitForURL((u) => u.href.startsWith(`${main.idp.issuer}/`));
    await noProblems(p);
    await noProblems(replay);
    await noProblems(cancel);
  } finally {
    await cancel?.close();
    await replay?.close();
    await p.close();
  }
});

const attr = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A tiny web server of another origin with the attacker's pages. */
async function startAttacker(host, target) {
  const mutation = (navn) => `mutation { createServiceleverance(input: { navn: "${navn}" }) { id } }`;
  const pages = {
    // text/plain: the body is name "=" value, so the JSON comes out whole:
    // {"query":"mutation …","x":"="}
    '/form-text': (tag) => `<form id="f" method="POST" action="${attr(`${target}/graphql`)}" enctype="text/plain">
      <input type="hidden" name="${attr(`{"query":${JSON.stringify(mutation(`CSRF-${tag}-TEXT`))},"x":"`)}" value="${attr('"}')}">
      </form><script>document.getElementById('f').submit();</script>`,
    '/form-urlencoded': (tag) => `<form id="f" method="POST" action="${attr(`${target}/graphql`)}">
      <input type="hidden" name="query" value="${attr(mutation(`CSRF-${tag}-URLENCODED`))}">
      </form><script>document.getElementById('f').submit();</script>`,
    '/fetch': (tag) => `<p id="out">…</p><script>
      const out = [];
      Promise.allSettled([
        fetch(${JSON.stringify(`${target}/graphql`)}, { method: 'POST', credentials: 'include', mode: 'no-cors',
          headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ query: ${JSON.stringify(mutation(`CSRF-${tag}-FETCH-TEXT`))} }) }),
        fetch(${JSON.stringify(`${target}/graphql`)}, { method: 'POST', credentials: 'include',
          headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: ${JSON.stringify(mutation(`CSRF-${tag}-FETCH-JSON`))} }) }),
        fetch(${JSON.stringify(`${target}/graphql`)}, { method: 'POST', credentials: 'include',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'gaet' }, body: JSON.stringify({ query: ${JSON.stringify(mutation(`CSRF-${tag}-FETCH-TOKEN`))} }) }),
      ]).then((r) => { document.getElementById('out').textContent = r.map((x) => x.status).join(','); document.title = 'done'; });
    </script>`,
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const page = pages[url.pathname];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>attacker</title></head><body>${page(url.searchParams.get('tag') ?? 'X')}</body></html>`);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return { origin: `http://${host}:${server.address().port}`, stop: () => new Promise((r) => server.close(() => r())) };
}

test('CSRF: a page of another origin cannot make the session post a mutation (form and fetch); the console\'s own origin needs the token', async () => {
  const target = main.base;
  const sameSite = await startAttacker('127.0.0.1', target); // another port: same site, the Lax cookie goes along
  const crossSite = await startAttacker('127.0.0.2', target); // another site: the Lax cookie stays home on a POST
  const p = await login(main, 'kommune', { p: await open(main, { allow: [sameSite.origin, crossSite.origin] }) });
  let evil;
  try {
    const { page, context } = p;
    const before = (await api(main, NAMED, { text: 'CSRF' })).serviceleverancer.totalCount;
    assert.equal(before, 0);

    evil = await context.newPage();
    for (const [tag, attacker] of [['SAME', sameSite], ['CROSS', crossSite]]) {
      for (const form of ['/form-text', '/form-urlencoded']) {
        const [answer] = await Promise.all([
          evil.waitForResponse((r) => r.url() === `${target}/graphql` && r.request().method() === 'POST'),
          evil.goto(`${attacker.origin}${form}?tag=${tag}`),
        ]);
        const cookieSent = /plejeoverblik-session/.test((await answer.request().allHeaders()).cookie ?? '');
        // Refused: a body that is not JSON before anything else (415), or for want of the
        // CSRF token (403).
        assert.ok([403, 415].includes(answer.status()), `${tag} ${form}: refused, not ${answer.status()}`);
        assert.match(await answer.text(), answer.status() === 403 ? /CSRF_REFUSED/ : /UNSUPPORTED_MEDIA_TYPE/);
        if (tag === 'SAME') assert.ok(cookieSent, 'same site: the browser sends the Lax session cookie with the form');
        else assert.equal(cookieSent, false, 'another site: no session cookie on a POST');
      }
      await evil.goto(`${attacker.origin}/fetch?tag=${tag}`);
      await evil.waitForFunction(() => document.title === 'done');
    }
    // Nothing was created by any of them.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await api(main, NAMED, { text: 'CSRF' })).serviceleverancer.nodes, []);

    // The console's own origin with the cookie but without (or with a wrong) X-CSRF-Token: 403.
    const own = await page.evaluate(async (query) => {
      const send = (headers) => fetch('/graphql', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
        body: JSON.stringify({ query }),
      }).then(async (r) => ({ status: r.status, code: (await r.json().catch(() => null))?.errors?.[0]?.extensions?.code }));
      const s = await (await fetch('/auth/session', { credentials: 'same-origin' })).json();
      return {
        none: await send({}),
        wrong: await send({ 'X-CSRF-Token': `${s.csrf}x` }),
        right: await send({ 'X-CSRF-Token': s.csrf }),
      };
    }, 'mutation { createServiceleverance(input: { navn: "CSRF-KONTROL" }) { id navn } }');
    assert.deepEqual(own.none, { status: 403, code: 'CSRF_REFUSED' });
    assert.deepEqual(own.wrong, { status: 403, code: 'CSRF_REFUSED' });
    assert.equal(own.right.status, 200, 'with the token the same mutation goes through (the refusals above were the CSRF check)');
    // Fetch Metadata: the right token but Sec-Fetch-Site other than same-origin (what a browser
    // says for another origin) is refused too; from a program without it, the token suffices.
    const cookie = (await context.cookies(main.base)).find((c) => c.name === SESSION_COOKIE);
    const { csrf } = (await sessionOf(page)).body;
    const viewer = async (site) => {
      const r = await fetch(`${main.base}/graphql`, {
        method: 'POST',
        headers: {
          Cookie: `${SESSION_COOKIE}=${cookie.value}`, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json', Accept: 'application/json',
          ...(site ? { 'Sec-Fetch-Site': site } : {}),
        },
        body: JSON.stringify({ query: '{ viewer { subject } }' }),
      });
      const body = await r.json();
      return { status: r.status, code: body.errors?.[0]?.extensions?.code ?? null, subject: body.data?.viewer?.subject ?? null };
    };
    assert.deepEqual(await viewer('same-site'), { status: 403, code: 'CSRF_REFUSED', subject: null });
    assert.deepEqual(await viewer('cross-site'), { status: 403, code: 'CSRF_REFUSED', subject: null });
    assert.deepEqual(await viewer('same-origin'), { status: 200, code: null, subject: 'kommune' });
    assert.deepEqual(await viewer(null), { status: 200, code: null, subject: 'kommune' });
    const after = (await api(main, NAMED, { text: 'CSRF' })).serviceleverancer.nodes.map((n) => n.navn);
    assert.deepEqual(after, ['CSRF-KONTROL']);
    await noProblems(p);
  } finally {
    await evil?.close();
    await p.close();
    await sameSite.stop();
    await crossSite.stop();
  }
});

/** In the playground at `/`: clicks the tab titled `title`, runs its operation and returns
 * the answer of /graphql (status, the request's headers) and what the result pane shows. */
async function runInPlayground(page, title) {
  await page.locator('.graphiql-tab-button', { hasText: title }).click();
  // GraphiQL parses the new tab's document a moment after the switch (as in playground.test.mjs).
  await page.waitForFunction(
    (t) => document.querySelector('.graphiql-tab-active .graphiql-tab-button')?.textContent === t
      && document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror?.operationName === t,
    title,
  );
  const pane = () => page.evaluate(() => document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '');
  const before = await pane();
  const response = page.waitForResponse((r) => r.url() === `${main.base}/graphql` && r.request().method() === 'POST'
    && !(r.request().postData() ?? '').includes('IntrospectionQuery'));
  await page.locator('.graphiql-execute-button').click();
  const r = await response;
  await page.waitForFunction((b) => {
    const v = (document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '').trim();
    return v !== b.trim() && v.startsWith('{');
  }, before, { timeout: 10_000 });
  const shown = await pane();
  return { status: r.status(), headers: await r.request().allHeaders(), shown, body: JSON.parse(shown) };
}

test('the playground works for someone logged in to the console (its requests carry no session cookie, so no CSRF_REFUSED)', async () => {
  const p = await login(main, 'kommune');
  try {
    const { page, context } = p;
    assert.ok((await context.cookies(main.base)).some((c) => c.name === SESSION_COOKIE), 'the browser has the console\'s session cookie');
    // Every POST to /graphql from the playground, introspection included.
    const answers = [];
    page.on('response', (r) => {
      if (r.url() === `${main.base}/graphql` && r.request().method() === 'POST') answers.push(r.status());
    });
    const resp = await page.goto(`${main.base}/`);
    assert.equal(resp.status(), 200);
    await page.locator('.graphiql-tab').first().waitFor({ timeout: 30_000 });

    // A public query: data, not 403 CSRF_REFUSED.
    const kommuner = await runInPlayground(page, 'Kommuner');
    assert.doesNotMatch(kommuner.shown, /CSRF_REFUSED/, 'the playground\'s query was refused as CSRF');
    assert.equal(kommuner.status, 200, kommuner.shown);
    assert.equal(kommuner.body.errors, undefined, kommuner.shown);
    assert.equal(kommuner.body.data.kommuner.length, 98);
    assert.equal(kommuner.headers.cookie, undefined, 'no cookie sent by the playground');
    assert.equal(kommuner.headers['x-csrf-token'], undefined);

    // The viewer: the playground speaks for nobody (no token in the field), not for the session…
    let viewer = await runInPlayground(page, 'Hvem_er_jeg');
    assert.doesNotMatch(viewer.shown, /CSRF_REFUSED/);
    assert.equal(viewer.status, 200, viewer.shown);
    assert.equal(viewer.body.errors, undefined, viewer.shown);
    assert.equal(viewer.body.data.viewer.subject, null, 'anonymous, not the console\'s person');
    // …and for the token in its field, with the session cookie still in the browser.
    await page.getByLabel('Token (udvikling)').fill(`Bearer ${checker}`);
    viewer = await runInPlayground(page, 'Hvem_er_jeg');
    assert.equal(viewer.status, 200, viewer.shown);
    assert.equal(viewer.body.errors, undefined, viewer.shown);
    assert.equal(viewer.body.data.viewer.subject, 'kontrol');
    assert.equal(viewer.headers.authorization, `Bearer ${checker}`);
    assert.equal(viewer.headers.cookie, undefined);
    await page.getByRole('button', { name: 'Ryd' }).click();

    // The introspection (the schema for the docs and completion) was not refused either.
    assert.ok(answers.length >= 4, `the introspection and three queries: ${answers}`);
    assert.deepEqual(answers.filter((s) => s !== 200), [], `every answer of /graphql: ${answers}`);
    // The console's session is untouched, and the console still works in the same browser.
    assert.equal((await sessionOf(page)).status, 200);
    await page.goto(`${main.base}/admin/`);
    await page.getByRole('heading', { name: 'Serviceleverancer', level: 1 }).waitFor();
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('a session that ends while an agreement is edited: saving asks to log in again in a popup; the typed value stays and is saved', async () => {
  const pair = await startPair({ extraArgs: ['--session-max-secs', '25'] });
  let p;
  try {
    p = await login(pair, 'kommune');
    const { page } = p;
    const { expiresAt } = (await sessionOf(page, pair)).body;
    const ends = Date.parse(expiresAt);
    assert.ok(ends - Date.now() <= 26_000, `the session lasts 25 s (expiresAt ${expiresAt})`);
    const { id } = await lockAgreement(page, 1);
    await page.getByLabel('Aftaleidentifikation').fill('EFTER-UDLOEB-7');
    // Past the end of the session (the lock's heartbeat does not ask; saving does).
    await page.waitForTimeout(Math.max(0, ends - Date.now()) + 1500);
    assert.equal(await page.getByRole('dialog').count(), 0, 'no dialog before the person acts');
    assert.equal((await sessionOf(page, pair)).status, 401, 'the session has ended');
    await page.getByRole('button', { name: 'Gem', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Din session er udløbet' });
    await dialog.waitFor();
    await dialog.getByText('Dine ændringer er ikke gået tabt').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'log-ind-igen', 'focus on Log ind igen');
    assert.equal(new URL(page.url()).hash, `#/sl/${encodeURIComponent(id)}`, 'the console stayed where it was');
    assert.equal(await page.getByLabel('Aftaleidentifikation').inputValue(), 'EFTER-UDLOEB-7');
    await noAxeViolations(page, 'the dialog of an ended session');

    // Log ind igen: a popup with the provider's login (its own session is dropped here, as when it
    // has lapsed too; the next test has it send the popup straight back). The console in the
    // popup tells this window and closes.
    await page.context().clearCookies({ name: /^_session/ });
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      dialog.getByRole('button', { name: 'Log ind igen' }).click(),
    ]);
    const popupErrors = [];
    popup.on('pageerror', (e) => popupErrors.push(String(e)));
    const closed = popup.isClosed() ? Promise.resolve() : popup.waitForEvent('close', { timeout: 30_000 });
    await popup.locator('input[name="login"]').waitFor();
    await dialog.getByText('Venter på, at du logger ind i det nye vindue').waitFor();
    await atProvider(popup, pair, 'kommune');
    await closed;
    assert.deepEqual(popupErrors, []);
    // The save was sent again and went through; the value is the one typed before.
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#status', { hasText: 'Gemt og publiceret' }).waitFor();
    assert.equal(await page.getByLabel('Aftaleidentifikation').inputValue(), 'EFTER-UDLOEB-7');
    assert.equal((await api(pair, ONE, { id })).serviceleverance.aftaleidentifikation, 'EFTER-UDLOEB-7');
    assert.equal((await sessionOf(page, pair)).status, 200, 'a new session');
    // And the person goes on: check in.
    await page.getByRole('button', { name: 'Tjek ind' }).click();
    await page.getByRole('dialog', { name: 'Tjek ind' }).getByRole('button', { name: 'Tjek ind' }).click();
    await page.locator('#status', { hasText: /Tjekket ind som version \d+/ }).waitFor();
    assert.equal((await api(pair, ONE, { id })).serviceleverance.laas, null);
    await noProblems(p);
  } finally {
    await p?.close();
    await pair.stop();
  }
});

test('an ended session and the dialog closed: nothing is lost, the error says why; saving again asks again, and a provider that still knows the person logs in at once', async () => {
  const pair = await startPair({ extraArgs: ['--session-max-secs', '20'] });
  let p;
  try {
    p = await login(pair, 'kommune');
    const { page } = p;
    const ends = Date.parse((await sessionOf(page, pair)).body.expiresAt);
    const { id } = await lockAgreement(page, 2);
    await page.getByLabel('Aftaleidentifikation').fill('ANNULLERET-3');
    await page.waitForTimeout(Math.max(0, ends - Date.now()) + 1500);
    await page.getByRole('button', { name: 'Gem', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Din session er udløbet' });
    await dialog.getByRole('button', { name: 'Annuller' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#fejl').getByText('Din session er udløbet').waitFor();
    assert.equal(await page.getByLabel('Aftaleidentifikation').inputValue(), 'ANNULLERET-3');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'sl-gem', 'focus back on Gem');
    await page.getByRole('button', { name: 'Gem', exact: true }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Aftaleidentifikation').inputValue(), 'ANNULLERET-3');
    assert.equal(new URL(page.url()).hash, `#/sl/${encodeURIComponent(id)}`);

    // The third time: Log ind igen, and the provider, which still has its session, sends the
    // popup straight back; the save goes through.
    await page.getByRole('button', { name: 'Gem', exact: true }).click();
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      dialog.getByRole('button', { name: 'Log ind igen' }).click(),
    ]);
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 30_000 });
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#status', { hasText: 'Gemt og publiceret' }).waitFor();
    assert.equal((await api(pair, ONE, { id })).serviceleverance.aftaleidentifikation, 'ANNULLERET-3');
    await noProblems(p);
  } finally {
    await p?.close();
    await pair.stop();
  }
});
