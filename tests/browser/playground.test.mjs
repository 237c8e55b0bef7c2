// The playground at / in a real browser: renders offline under its CSP, runs an anonymous example
// as it is and a token example with a token in the shared field, and passes axe-core.
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, axeViolations, launchBrowser, makeToken, openPage, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the playground and waits for GraphiQL's tabs. */
async function openPlayground() {
  const p = await openPage(browser, server.baseUrl, { viewport: { width: 1600, height: 900 } });
  const resp = await p.page.goto(`${server.baseUrl}/`);
  assert.equal(resp.status(), 200);
  await p.page.locator('.graphiql-tab').first().waitFor({ timeout: 30_000 });
  return p;
}

/** The tabs the page was given (playground/*.graphql). */
function tabsOf(page) {
  return page.evaluate(() => JSON.parse(document.getElementById('po-tabs').textContent));
}

/** Clicks the tab titled `title`, runs its (first) operation and returns the parsed response. */
async function run(page, title) {
  await page.locator('.graphiql-tab-button', { hasText: title }).click();
  // GraphiQL parses the new tab's document a moment after the switch; running before that would
  // send the previous tab's operation name.
  await page.waitForFunction(
    (t) => document.querySelector('.graphiql-tab-active .graphiql-tab-button')?.textContent === t
      && document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror?.operationName === t,
    title,
  );
  const result = () => page.evaluate(() => document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '');
  const response = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST'
    && !(r.request().postData() ?? '').includes('IntrospectionQuery'));
  await page.locator('.graphiql-execute-button').click();
  const r = await response;
  await page.waitForFunction(() => (document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '').trim().startsWith('{'));
  return { request: r.request(), body: JSON.parse(await result()) };
}

async function noProblems(p) {
  assert.deepEqual(await p.problems(), [], 'no request to another host, console error or CSP violation');
}

test('the playground renders offline with the Danish example tabs', async () => {
  const p = await openPlayground();
  try {
    const tabs = await tabsOf(p.page);
    assert.equal(tabs.length, 10);
    await p.page.waitForFunction((n) => document.querySelectorAll('.graphiql-tab').length === n, tabs.length);
    const titles = await p.page.locator('.graphiql-tab-button').allTextContents();
    assert.deepEqual(titles, tabs.map((t) => t.tab));
    for (const t of tabs) assert.doesNotMatch(t.query, /Bearer <token>/);
    // GraphiQL loaded the schema (introspection) from our /graphql: the docs explorer works.
    await p.page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
    await p.page.locator('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name', { hasText: 'Query' }).first().waitFor();
    // A dialog (settings) inserts a <style> element: it must pass the CSP through the nonce.
    await p.page.locator('.graphiql-sidebar button[aria-label="Open settings dialog"]').click();
    await p.page.locator('.graphiql-dialog').waitFor();
    await p.page.keyboard.press('Escape');
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('an anonymous example runs as it is, without an Authorization header', async () => {
  const p = await openPlayground();
  try {
    const { request, body } = await run(p.page, 'Plejeboliger_naer_Aarhus_C');
    assert.equal(request.headers().authorization, undefined);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.ok(body.data.search.totalCount > 0, 'plejeboliger near Aarhus C');
    assert.ok(body.data.search.edges.every((e) => e.node.kommune.navn === 'Aarhus'));
    await p.page.waitForTimeout(300);
    const out = path.join(ROOT, 'tests', 'browser', 'out');
    await mkdir(out, { recursive: true });
    await p.page.screenshot({ path: path.join(out, 'playground.png') });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir(path.join(ROOT, 'docs', 'screenshots'), { recursive: true });
      await copyFile(path.join(out, 'playground.png'), path.join(ROOT, 'docs', 'screenshots', 'playground.png'));
    }
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('a token in the shared field is sent by every tab and kept out of localStorage', async () => {
  const token = await makeToken({ role: 'driftsoverenskomstansvarlig', cvr: '29189404', name: 'Anne Andersen' });
  const p = await openPlayground();
  try {
    // Without a token the viewer is anonymous.
    let { body } = await run(p.page, 'Hvem_er_jeg');
    assert.equal(body.data.viewer.name, null, JSON.stringify(body));
    await p.page.getByLabel('Token (udvikling)').fill(`Bearer ${token}`);
    ({ body } = await run(p.page, 'Hvem_er_jeg'));
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.equal(body.data.viewer.name, 'Anne Andersen');
    assert.equal(body.data.viewer.kommune.navn, 'Roskilde');
    // Another tab sends the same token.
    let request;
    ({ request, body } = await run(p.page, 'Mine_serviceleverancer'));
    assert.equal(request.headers().authorization, `Bearer ${token}`);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    // Wait past GraphiQL's debounced storage writes, then look at the storages.
    await p.page.waitForTimeout(700);
    const stored = await p.page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
    }));
    assert.ok(!stored.local.includes(token), 'the token is not in localStorage');
    assert.ok(stored.session.includes(token), 'the token is in sessionStorage');
    // "Ryd" forgets it.
    await p.page.getByRole('button', { name: 'Ryd' }).click();
    ({ request } = await run(p.page, 'Hvem_er_jeg'));
    assert.equal(request.headers().authorization, undefined);
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('the live example shows a change as it is saved (graphql-sse from the playground)', async () => {
  const p = await openPlayground();
  try {
    const title = 'Aendringer_live';
    await p.page.locator('.graphiql-tab-button', { hasText: title }).click();
    await p.page.waitForFunction(
      (t) => document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror?.operationName === t,
      title,
    );
    const stream = p.page.waitForRequest((r) => r.url().endsWith('/graphql/stream'));
    await p.page.locator('.graphiql-execute-button').click();
    await stream;
    // Another person saves an offer in Aarhus meanwhile.
    const admin = await makeToken({ role: 'administrator', cvr: '12345678', name: 'Admin' });
    const doa = await makeToken({ role: 'driftsoverenskomstansvarlig', cvr: '55133018', name: 'Aarhus' });
    const gql = async (tok, query, variables) => {
      const r = await fetch(`${server.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = await r.json();
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      return body.data;
    };
    const e = await gql(admin, 'mutation { createEnhed(input: {kind: PLEJEENHED, navn: "Live-hjemmet", ejerCvr: "80000007", lat: 56.16, lon: 10.2}) { enhedId } }');
    await gql(doa, 'mutation($e: String) { createServiceleverance(input: {navn: "Live", enhedId: $e, type: DRIFTSOVERENSKOMST, startdato: "2020-01-01"}) { id } }', { e: e.createEnhed.enhedId });
    await p.page.waitForFunction(() => (document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '').includes('Live-hjemmet'), null, { timeout: 10_000 });
    const shown = JSON.parse(await p.page.evaluate(() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()));
    assert.equal(shown.data.changes.kind, 'ADDED');
    // Stopping it ends the stream.
    await p.page.locator('.graphiql-execute-button').click();
    await noProblems(p);
  } finally {
    await p.close();
  }
});

// Known accessibility faults of GraphiQL 3.9 itself, which our page cannot fix without forking it:
// its tab list holds buttons inside role=tab items, and CodeMirror's scroll area is not focusable
// (its hidden textarea is). Anything else, and these anywhere else, fail the test.
const GRAPHIQL_KNOWN = [
  { id: 'aria-required-children', within: '.graphiql-tabs' },
  { id: 'nested-interactive', within: '.graphiql-tabs' },
  { id: 'scrollable-region-focusable', within: '.graphiql-container .CodeMirror' },
];

test('axe-core finds no serious or critical accessibility violations', async () => {
  const p = await openPlayground();
  try {
    await run(p.page, 'Kommuner');
    const violations = await axeViolations(p.page, { allow: GRAPHIQL_KNOWN });
    assert.deepEqual(violations, []);
    await noProblems(p);
  } finally {
    await p.close();
  }
});
