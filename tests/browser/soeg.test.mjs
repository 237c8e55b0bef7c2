// The citizen search at /soeg in a real browser: renders offline under its CSP, searches through
// the public GraphQL API only (no token), sorts by distance, pages with "Vis flere", keeps its
// state in the URL, shows a helhedspleje offer once the provider's redaktør has written the
// beskrivelse, and passes axe-core and a keyboard walk. Issue 21's place a citizen knows
// (postnummer or town), R31's and R32's filters with their counts, and the profile, latest
// tilsyn and påbud on a hit.
//
// SOEG_FROM_DISK=1 serves soeg/index.html, soeg.js and soeg.css from the working tree instead of
// the copies embedded in the binary (with the binary's headers, CSP included), to try changes
// of soeg/ before the next `cargo build`. Without it (the default) the tests see what the binary
// serves.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
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

// Days as the server counts them (Europe/Copenhagen).
const TODAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
/** The 15th of next month: the demo agreements that start "next month" start on its 1st. */
const NEXT_MONTH = (() => {
  const [y, m] = TODAY.split('-').map(Number);
  return `${m === 12 ? y + 1 : y}-${String((m % 12) + 1).padStart(2, '0')}-15`;
})();

const AARHUS_C = { lat: 56.1535, lon: 10.2045 };

/** GraphQL over HTTP from the test (as a client of the API, not through the page). */
async function gql(query, variables = {}, token) {
  const r = await fetch(`${server.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

/** Finished searches of the page (the script counts them in #resultater[data-done]). */
const doneCount = (page) => page.evaluate(() => Number(document.getElementById('resultater').dataset.done ?? 0));

/** Runs `action` and waits until the page has finished the search (or page) it starts. */
async function settle(page, action) {
  const n = await doneCount(page);
  await action();
  await page.waitForFunction((k) => Number(document.getElementById('resultater').dataset.done ?? 0) > k, n);
}

const FROM_DISK = process.env.SOEG_FROM_DISK === '1';

/** A page of the server (see harness.mjs's openPage), with SOEG_FROM_DISK applied. */
async function openSoeg(opts = {}) {
  const p = await openPage(browser, server.baseUrl, opts);
  if (FROM_DISK) {
    // Registered after the harness's route, so they are asked first.
    await p.context.route(/\/assets\/soeg\.[0-9a-f]+\.(js|css)$/, async (route) => {
      const ext = new URL(route.request().url()).pathname.split('.').pop();
      const body = await readFile(path.join(ROOT, 'soeg', `soeg.${ext}`));
      await route.fulfill({ status: 200, contentType: ext === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8', body });
    });
    await p.context.route((url) => url.pathname === '/soeg', async (route) => {
      const response = await route.fetch();
      const served = await response.text();
      const asset = (re) => re.exec(served)?.[0] ?? '';
      const body = (await readFile(path.join(ROOT, 'soeg', 'index.html'), 'utf8'))
        .replace('{{SOEG_CSS}}', asset(/\/assets\/soeg\.[0-9a-f]+\.css/))
        .replace('{{SOEG_JS}}', asset(/\/assets\/soeg\.[0-9a-f]+\.js/))
        .replace('{{FAVICON}}', asset(/\/assets\/favicon\.[0-9a-f]+\.svg/));
      await route.fulfill({ response, body });
    });
  }
  return p;
}

/** Opens /soeg with `query` and waits for its first search (when the URL asks for one). */
async function open(query = '', opts = {}) {
  const p = await openSoeg(opts);
  p.graphqlRequests = [];
  p.page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/graphql') p.graphqlRequests.push(r);
  });
  const resp = await p.page.goto(`${server.baseUrl}/soeg${query}`);
  assert.equal(resp.status(), 200);
  p.response = resp;
  // The kommuner arrive from the API for the suggestions.
  await p.page.waitForFunction(() => document.querySelectorAll('#kommune-liste option').length === 98);
  if (new URLSearchParams(query).get('kommune') || new URLSearchParams(query).get('sted')) {
    await p.page.waitForFunction(() => Number(document.getElementById('resultater').dataset.done ?? 0) >= 1);
  }
  return p;
}

/** The hits shown: name, distance in km (or null), agreement type, beskrivelse, dates. */
function hitsOf(page) {
  return page.$$eval('#hits > li', (lis) => lis.map((li) => {
    const text = (sel) => li.querySelector(sel)?.textContent.trim() ?? null;
    const d = text('.distance');
    const facts = Object.fromEntries([...li.querySelectorAll('.fact')].map((f) => [f.querySelector('dt').textContent, f.querySelector('dd').textContent]));
    return {
      navn: text('h3'),
      km: d === null ? null : Number(d.replace(/\s*km.*$/, '').replace(',', '.')),
      aftale: text('.tag'),
      gaelder: facts['Gælder'] ?? null,
      adresse: facts['Adresse'] ?? null,
      beskrivelse: text('.beskrivelse p'),
    };
  }));
}

const params = (page) => Object.fromEntries(new URL(page.url()).searchParams);

/** A picture of the page in tests/browser/out, and in docs/screenshots with UPDATE_SCREENSHOTS=1. */
async function screenshot(page, name) {
  const out = path.join(ROOT, 'tests', 'browser', 'out');
  await mkdir(out, { recursive: true });
  await page.screenshot({ path: path.join(out, name), fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(path.join(ROOT, 'docs', 'screenshots'), { recursive: true });
    await copyFile(path.join(out, name), path.join(ROOT, 'docs', 'screenshots', name));
  }
}

async function noAxeViolations(page, where) {
  const v = await axeViolations(page);
  assert.deepEqual(v, [], `axe-core on ${where}: ${JSON.stringify(v, null, 2)}`);
}

async function noProblems(p) {
  assert.deepEqual(await p.problems(), [], 'no request to another host, console error or CSP violation');
  for (const r of p.graphqlRequests) {
    assert.equal(r.method(), 'POST');
    assert.equal(r.headers().authorization, undefined, 'the page never sends a token');
  }
}

test('the page renders offline in Danish under its CSP', async () => {
  const p = await open();
  try {
    const h = p.response.headers();
    assert.match(h['content-type'], /^text\/html; charset=utf-8$/);
    assert.match(h['content-security-policy'], /default-src 'none'/);
    assert.doesNotMatch(h['content-security-policy'], /unsafe|https?:/);
    assert.equal(await p.page.getAttribute('html', 'lang'), 'da');
    assert.equal(await p.page.locator('h1').textContent(), 'Find plejebolig eller helhedspleje');
    assert.equal(await p.page.inputValue('#dato'), TODAY, 'the day defaults to today');
    assert.ok(await p.page.isChecked('#type-plejebolig'));
    assert.match(await p.page.locator('#status').textContent(), /Vælg en kommune/);
    // Every request went to the server itself: the page, its two assets and /graphql.
    await noProblems(p);
    assert.ok(p.graphqlRequests.length >= 1, 'the kommuner came from /graphql');
  } finally {
    await p.close();
  }
});

test('plejeboliger in Aarhus near Aarhus C: nearest first with distances, "Vis flere", "Brug min position"', async () => {
  const p = await open();
  try {
    const { page } = p;
    await page.getByLabel('Kommune', { exact: true }).fill('Aarhus');
    await page.getByLabel('Breddegrad').fill('56,1535');
    await page.getByLabel('Længdegrad').fill('10,2045');
    await settle(page, () => page.getByRole('button', { name: 'Søg', exact: true }).click());
    assert.deepEqual(params(page), { kommune: 'Aarhus', type: 'plejebolig', lat: '56.1535', lon: '10.2045' });

    const api = await gql('query($near: PunktInput) { search(kommune: "Aarhus", kind: PLEJEENHED, near: $near, first: 100) { totalCount edges { node { navn } } } }', { near: AARHUS_C });
    const total = api.search.totalCount;
    assert.ok(total > 20, `more than one page (${total})`);
    let hits = await hitsOf(page);
    assert.equal(hits.length, 20);
    assert.ok(hits.every((x) => Number.isFinite(x.km)), 'every hit shows its distance');
    assert.ok(hits[0].km < 2, 'the nearest lies in Aarhus C');
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].km <= hits[i].km, `sorted by distance at ${i}`);
    assert.deepEqual(hits.map((x) => x.navn), api.search.edges.slice(0, 20).map((e) => e.node.navn));
    assert.match(await page.locator('#status').textContent(), new RegExp(`^Aarhus Kommune: ${total} steder med plejeboliger i dag, .*nærmeste først\\. Viser 20 af ${total}\\.$`));

    // "Vis flere" appends the next page (the cursor) and moves focus to its first hit.
    await settle(page, () => page.getByRole('button', { name: 'Vis flere' }).click());
    hits = await hitsOf(page);
    assert.equal(hits.length, Math.min(40, total));
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].km <= hits[i].km, `sorted across pages at ${i}`);
    assert.deepEqual(hits.map((x) => x.navn), api.search.edges.slice(0, hits.length).map((e) => e.node.navn));
    assert.equal(await page.evaluate(() => document.activeElement.textContent), hits[20].navn);

    // The browser's position fills the point (rounded to about 100 m) and searches again.
    await p.context.grantPermissions(['geolocation'], { origin: server.baseUrl });
    await p.context.setGeolocation({ latitude: 56.1629, longitude: 10.2039 });
    await settle(page, () => page.getByRole('button', { name: 'Brug min position' }).click());
    assert.deepEqual(params(page), { kommune: 'Aarhus', type: 'plejebolig', lat: '56.163', lon: '10.204' });
    hits = await hitsOf(page);
    assert.equal(hits.length, 20);
    assert.ok(hits.every((x, i) => i === 0 || hits[i - 1].km <= x.km));
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('Roskilde helhedspleje: a provider that starts next month is shown next month, not today', async () => {
  const p = await open(`?kommune=Roskilde&type=helhedspleje&dato=${NEXT_MONTH}`);
  try {
    const { page } = p;
    let names = (await hitsOf(page)).map((h) => h.navn);
    // The demo data (src/seed.rs): Omsorg & Nærvær (Greve) starts with Roskilde next month; De
    // varme hænder's branch lies in Lejre and has had its agreement with Roskilde for a year.
    assert.ok(names.includes('Omsorg & Nærvær, Greve (demo)'), names.join(' | '));
    assert.ok(names.includes('De varme hænder, afdeling Lejre (demo)'), names.join(' | '));
    const lejre = (await hitsOf(page)).find((h) => h.navn.startsWith('De varme hænder'));
    assert.equal(lejre.aftale, 'Driftsoverenskomst');
    assert.match(lejre.beskrivelse, /^Personlig pleje og praktisk hjælp/);
    assert.match(lejre.adresse, /Lejre · Ligger i Lejre Kommune/);
    assert.match(lejre.gaelder, /^fra \d+\. \p{L}+ \d{4}, uden slutdato$/u);
    assert.equal(lejre.km, null, 'no distance without a point');
    assert.ok(!names.some((n) => n.includes('Solstrejf')), 'no beskrivelse yet: not public (R10)');

    // The same search today (the date field set back to today) does not show it.
    await page.getByLabel('Dato').fill(TODAY);
    await settle(page, () => page.getByLabel('Dato').press('Enter'));
    assert.deepEqual(params(page), { kommune: 'Roskilde', type: 'helhedspleje' }, 'today is no date in the URL');
    names = (await hitsOf(page)).map((h) => h.navn);
    assert.ok(!names.some((n) => n.startsWith('Omsorg')), names.join(' | '));
    assert.ok(names.includes('De varme hænder, afdeling Lejre (demo)'));
    assert.match(await page.locator('#status').textContent(), /^Roskilde Kommune: \d+ leverandører? af helhedspleje i dag, /);

    // Back: the URL of next month, its form and its results again.
    await settle(page, () => page.goBack());
    assert.equal(params(page).dato, NEXT_MONTH);
    assert.equal(await page.inputValue('#dato'), NEXT_MONTH);
    names = (await hitsOf(page)).map((h) => h.navn);
    assert.ok(names.includes('Omsorg & Nærvær, Greve (demo)'));
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('the URL is the state: a link fills the form, names are made canonical, reload and back keep it', async () => {
  const p = await open(`?kommune=koebenhavns+kommune&type=helhedspleje&dato=${NEXT_MONTH}&lat=55.676&lon=12.568`);
  try {
    const { page } = p;
    assert.equal(await page.inputValue('#kommune'), 'København');
    assert.ok(await page.isChecked('#type-helhedspleje'));
    assert.equal(await page.inputValue('#dato'), NEXT_MONTH);
    assert.equal(await page.inputValue('#lat'), '55,676');
    assert.equal(await page.inputValue('#lon'), '12,568');
    const canonical = { kommune: 'København', type: 'helhedspleje', dato: NEXT_MONTH, lat: '55.676', lon: '12.568' };
    assert.deepEqual(params(page), canonical);
    assert.match(await page.locator('#status').textContent(), /^Københavns Kommune/);
    assert.match(await page.title(), /^Helhedspleje i København/);

    await page.reload();
    await page.waitForFunction(() => Number(document.getElementById('resultater').dataset.done ?? 0) >= 1);
    assert.deepEqual(params(page), canonical);
    assert.ok(await page.isChecked('#type-helhedspleje'));
    assert.equal(await page.inputValue('#lat'), '55,676');

    // Another kind by keyboard: a new history entry; back restores the link's search.
    await page.focus('#type-helhedspleje');
    await page.keyboard.press('ArrowUp');
    assert.ok(await page.isChecked('#type-plejebolig'));
    await settle(page, () => page.keyboard.press('Enter'));
    assert.deepEqual(params(page), { ...canonical, type: 'plejebolig' });
    assert.ok((await hitsOf(page)).length > 0, 'København has plejeboliger');
    await settle(page, () => page.goBack());
    assert.deepEqual(params(page), canonical);
    assert.ok(await page.isChecked('#type-helhedspleje'));

    // A kommune that does not exist: the API's Danish message at the field, focus on it.
    await page.goto(`${server.baseUrl}/soeg?kommune=Atlantis`);
    await page.waitForFunction(() => Number(document.getElementById('resultater').dataset.done ?? 0) >= 1);
    assert.match(await page.locator('#kommune-fejl').textContent(), /Kommunen »Atlantis« findes ikke\. Skriv kommunens navn/);
    assert.equal(await page.getAttribute('#kommune', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'kommune');
    assert.deepEqual(await axeViolations(page), []);
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('a redaktør writes the beskrivelse and the helhedspleje offer appears on /soeg', async () => {
  const redaktoer = await makeToken({ role: 'redaktoer', cvr: '90000001', name: 'Rikke Redaktør' });
  const SL = 'id navn type startdato isPublic notPublicReason revision beskrivelse aftalepart { navn } enhed { navn kind } issues { code severity }';
  const missingBeskrivelse = async () => (await gql(
    `{ serviceleverancer(kind: HELHEDSPLEJEENHED, type: DRIFTSOVERENSKOMST, first: 100) { nodes { ${SL} } } }`, {}, redaktoer,
  )).serviceleverancer.nodes.filter((s) => !s.isPublic && s.issues.some((i) => i.code === 'MANGLER_BESKRIVELSE'));

  let sl = (await missingBeskrivelse())[0];
  if (!sl) {
    // The demo data have none for this provider: Roskilde makes an agreement with its Aarhus
    // branch, from the 1st of next month, without beskrivelse (that is the provider's to write).
    const kommune = await makeToken({ role: 'driftsoverenskomstansvarlig', cvr: '29189404', name: 'Anne Andersen' });
    const start = `${NEXT_MONTH.slice(0, 8)}01`;
    await gql('mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }', {
      i: { navn: 'Helhedspleje, De varme hænder Aarhus', enhedId: 'demo-helhed-de-varme-haender-aarhus', type: 'DRIFTSOVERENSKOMST', startdato: start },
    }, kommune);
    sl = (await missingBeskrivelse())[0];
  }
  assert.ok(sl, 'the redaktør sees an agreement waiting for its beskrivelse');
  assert.equal(sl.enhed.kind, 'HELHEDSPLEJEENHED');
  const day = sl.startdato > TODAY ? sl.startdato : TODAY;
  const query = `?kommune=${encodeURIComponent(sl.aftalepart.navn)}&type=helhedspleje${day === TODAY ? '' : `&dato=${day}`}`;

  const p = await open(query);
  try {
    const { page } = p;
    assert.ok(!(await hitsOf(page)).some((h) => h.navn === sl.enhed.navn), 'not public without beskrivelse');

    const beskrivelse = 'Personlig pleje, praktisk hjælp og madservice. Vi kommer til tiden og har faste hjælpere.';
    await gql('mutation($id: ID!) { lockServiceleverance(id: $id) { id laas { navn } } }', { id: sl.id }, redaktoer);
    const saved = (await gql('mutation($id: ID!, $b: String) { setBeskrivelse(id: $id, beskrivelse: $b) { isPublic issues { severity } } }', { id: sl.id, b: beskrivelse }, redaktoer)).setBeskrivelse;
    assert.deepEqual(saved.issues.filter((i) => i.severity === 'ERROR'), [], 'nothing keeps it out of the search now');
    // isPublic is about today; an agreement that starts next month is public from then.
    assert.equal(saved.isPublic, day === TODAY);
    await gql('mutation($id: ID!) { checkInServiceleverance(id: $id, kommentar: "Beskrivelse skrevet") { laas { navn } } }', { id: sl.id }, redaktoer);

    await settle(page, () => page.getByRole('button', { name: 'Søg', exact: true }).click());
    const hit = (await hitsOf(page)).find((h) => h.navn === sl.enhed.navn);
    assert.ok(hit, `${sl.enhed.navn} is on /soeg now`);
    assert.equal(hit.beskrivelse, beskrivelse);
    assert.equal(hit.aftale, 'Driftsoverenskomst');
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('accessibility: axe-core, headings, keyboard order and visible focus', async () => {
  // Roskilde's helhedspleje next month from Roskilde station: hits with distances and beskrivelser.
  const p = await open(`?kommune=Roskilde&type=helhedspleje&dato=${NEXT_MONTH}&lat=55.6393&lon=12.0886`, { viewport: { width: 1280, height: 1500 } });
  try {
    const { page } = p;
    assert.ok((await hitsOf(page)).every((h) => Number.isFinite(h.km)));
    assert.deepEqual(await axeViolations(page), []);

    const headings = await page.$$eval('h1, h2, h3, h4', (hs) => hs.map((h) => Number(h.tagName[1])));
    assert.equal(headings.filter((l) => l === 1).length, 1);
    for (let i = 1; i < headings.length; i++) assert.ok(headings[i] <= headings[i - 1] + 1, `no skipped heading level: ${headings}`);

    // Tab from the top: skip link, the fields in reading order, the buttons; focus is visible.
    await page.evaluate(() => document.activeElement?.blur());
    const order = [];
    for (let i = 0; i < 18 && order.at(-1) !== 'soeg-knap'; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const a = document.activeElement;
        const s = getComputedStyle(a);
        // The date field's calendar button (inside the browser's own shadow DOM, outlined by
        // soeg.css through ::-webkit-calendar-picker-indicator) has the focus, not the field.
        const calendarButton = a.type === 'date' && !a.matches(':focus');
        return {
          id: a.id || (a.type === 'submit' ? 'soeg-knap' : a.className),
          visible: calendarButton || (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2),
        };
      });
      assert.ok(f.visible, `visible focus on ${f.id}`);
      if (order.at(-1) !== f.id) order.push(f.id);
    }
    // Helhedspleje: of "Vis kun" only "Uden påbud eller forbud" applies (the others are hidden).
    assert.deepEqual(order, ['skip', 'kommune', 'type-helhedspleje', 'dato', 'sted', 'lat', 'lon', 'min-position', 'ryd-punkt', 'f-udenpaabud', 'soeg-knap']);

    await page.waitForTimeout(200);
    const out = path.join(ROOT, 'tests', 'browser', 'out');
    await mkdir(out, { recursive: true });
    await page.evaluate(() => document.activeElement?.blur());
    await page.screenshot({ path: path.join(out, 'soeg.png') });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir(path.join(ROOT, 'docs', 'screenshots'), { recursive: true });
      await copyFile(path.join(out, 'soeg.png'), path.join(ROOT, 'docs', 'screenshots', 'soeg.png'));
    }
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test("an enhed's own page: from a hit by keyboard, the agreement in plain words, tel:/mailto:, distance, back to the same list; on a phone; axe (issue 21)", async () => {
  const p = await open(`?kommune=Aarhus&type=plejebolig&lat=${AARHUS_C.lat}&lon=${AARHUS_C.lon}`, { viewport: { width: 390, height: 844 } });
  try {
    const { page } = p;
    const first = page.locator('#hits > li').first();
    const navn = (await first.locator('h3').textContent()).trim();
    // The hit's name is a link to its page (keyboard: focus and Enter).
    await first.locator('h3 a').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: navn, level: 1 }).waitFor();
    assert.match(page.url(), /\/soeg\/enhed\/[^?]+\?.*kommune=0751/);
    assert.equal(await page.title(), `${navn} – Plejeoverblik`);
    await page.getByRole('heading', { name: 'Aftalen med Aarhus Kommune', level: 2 }).waitFor();
    await page.locator('.tag').first().waitFor();
    assert.match(await page.locator('#afstand').textContent(), /^\d+,\d km fra punktet$/);
    await noAxeViolations(page, 'the enhed page on a phone');
    await screenshot(page, 'soeg-enhed.png');
    // No sideways scrolling on a phone.
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
    // Back to the same list.
    await page.getByRole('link', { name: 'Tilbage til resultaterne' }).first().click();
    await page.waitForFunction(() => Number(document.getElementById('resultater')?.dataset.done ?? 0) >= 1);
    assert.deepEqual(params(page), { kommune: 'Aarhus', type: 'plejebolig', lat: String(AARHUS_C.lat), lon: String(AARHUS_C.lon) });
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('a kommune name that matches nothing gets "Mente du …?"; the accessibility statement is linked (issue 21)', async () => {
  const p = await open();
  try {
    const { page } = p;
    await page.getByLabel('Kommune', { exact: true }).fill('Roskile');
    await settle(page, () => page.getByRole('button', { name: 'Søg', exact: true }).click());
    await page.locator('#kommune-fejl', { hasText: 'Mente du Roskilde?' }).waitFor();
    assert.equal(await page.locator('#kommune-fejl').textContent().then((t) => t.includes('kommunekode')), false);
    // Helhedspleje: the page explains frit valg (ældreloven § 18); plejebolig does not.
    await page.goto(`${server.baseUrl}/soeg?kommune=Roskilde&type=helhedspleje&dato=${NEXT_MONTH}`);
    await page.locator('#frit-valg', { hasText: 'Du har frit valg' }).waitFor();
    await page.goto(`${server.baseUrl}/soeg?kommune=Roskilde&type=plejebolig`);
    await page.waitForFunction(() => Number(document.getElementById('resultater').dataset.done ?? 0) >= 1);
    assert.equal(await page.locator('#frit-valg').isVisible(), false);
    await page.getByLabel('Kommune', { exact: true }).fill('Lyngby');
    await settle(page, () => page.getByRole('button', { name: 'Søg', exact: true }).click());
    await page.locator('#status', { hasText: 'Lyngby-Taarbæk Kommune' }).waitFor();
    await page.getByRole('link', { name: 'Tilgængelighedserklæring' }).click();
    await page.getByRole('heading', { name: 'Tilgængelighedserklæring', level: 1 }).waitFor();
    await noAxeViolations(page, 'the accessibility statement');
    await noProblems(p);
    // No API words in what a citizen reads: a day out of range from a link (the API answers
    // 400, which the browser logs, so after the check above).
    await page.goto(`${server.baseUrl}/soeg?kommune=Aarhus&dato=1800-01-01`);
    await page.locator('#dato-fejl', { hasText: 'Vælg en dato mellem' }).waitFor();
    assert.doesNotMatch(await page.locator('#dato-fejl').textContent(), /date|"/);
  } finally {
    await p.close();
  }
});

test('compare up to three hits side by side: chosen in the list, the address as state, cards on a phone, axe (issue 21)', async () => {
  const p = await open(`?kommune=Aarhus&type=plejebolig&lat=${AARHUS_C.lat}&lon=${AARHUS_C.lon}`);
  try {
    const { page } = p;
    const boxes = page.locator('#hits input[type=checkbox]');
    const names = [];
    for (let i = 0; i < 3; i++) {
      names.push((await page.locator('#hits > li h3').nth(i).textContent()).trim());
      await boxes.nth(i).check();
      // The bar says what is chosen, and no stray "null" where the limit's note is absent.
      const bar = await page.locator('#sammenlign').innerText();
      assert.ok(!bar.includes('null'), bar);
    }
    // A fourth cannot be chosen, and the page says why.
    assert.equal(await boxes.nth(3).isDisabled(), true);
    await page.locator('#sammenlign', { hasText: 'højst 3' }).waitFor();
    await page.locator('#sammenlign').getByRole('link', { name: /^Sammenlign 3/ }).click();
    await page.getByRole('heading', { name: 'Sammenlign', level: 1 }).waitFor();
    const url = page.url();
    assert.equal(new URL(url).searchParams.getAll('enhed').length, 3);
    for (const n of names) await page.locator('table.compare thead').getByRole('link', { name: n }).waitFor();
    await page.locator('table.compare').getByRole('rowheader', { name: 'Afstand' }).waitFor();
    await noAxeViolations(page, 'the comparison');
    await screenshot(page, 'soeg-sammenlign.png');
    // The same address on a phone: one card per enhed.
    const phone = await openSoeg({ viewport: { width: 390, height: 844 } });
    try {
      await phone.page.goto(url);
      await phone.page.getByRole('heading', { name: 'Sammenlign', level: 1 }).waitFor();
      assert.equal(await phone.page.locator('table.compare').isVisible(), false);
      assert.equal(await phone.page.locator('.compare-cards section').count(), 3);
      assert.equal(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
      await noAxeViolations(phone.page, 'the comparison on a phone');
    } finally {
      await phone.close();
    }
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('the map: the kommune\'s outline with the hits as numbered points, reachable by keyboard, the list its text (issue 21)', async () => {
  const p = await open(`?kommune=Aarhus&type=plejebolig&lat=${AARHUS_C.lat}&lon=${AARHUS_C.lon}`);
  try {
    const { page } = p;
    await page.locator('#kort svg path').waitFor();
    const points = page.locator('#kort a.kort-punkt');
    const withPlace = await page.locator('#hits > li[data-lat]').count();
    assert.ok(withPlace > 0);
    assert.equal(await points.count(), withPlace, 'one point per hit with a place');
    assert.equal(await points.first().locator('text').textContent(), '1');
    await page.locator('#kort figcaption', { hasText: 'nummereret som listen' }).waitFor();
    // Keyboard: the first point is a link; Enter moves focus to its hit in the list.
    await points.nth(1).focus();
    await page.keyboard.press('Enter');
    const focused = await page.evaluate(() => document.activeElement?.tagName + ' ' + document.activeElement?.textContent?.trim());
    const second = (await page.locator('#hits > li h3').nth(1).textContent()).trim();
    assert.equal(focused, `H3 ${second}`);
    // "Vis flere" adds its points.
    await settle(page, () => page.getByRole('button', { name: 'Vis flere' }).click());
    assert.equal(await points.count(), await page.locator('#hits > li[data-lat]').count());
    await noAxeViolations(page, 'the map');
    await noProblems(p);
  } finally {
    await p.close();
  }
});

// ---- Issue 21's place a citizen knows; R31/R32 filters, profile and tilsyn on the list -----------

/** A day in Danish as the page writes it ("2. maj 2026"). */
const dayInDanish = (iso) => {
  const [y, m, d] = iso.split('-').map(Number);
  return new Intl.DateTimeFormat('da-DK', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
};

/** The hits with what R31/R32 add: facts by term, badges, påbud/forbud notices. */
function profileHitsOf(page) {
  return page.$$eval('#hits > li', (lis) => lis.map((li) => {
    const d = li.querySelector('.distance')?.textContent.trim() ?? null;
    return {
      navn: li.querySelector('h3').textContent.trim(),
      km: d === null ? null : Number(d.replace(/\s*km.*$/, '').replace(',', '.')),
      facts: Object.fromEntries([...li.querySelectorAll('.fact')].map((f) => [f.querySelector('dt').textContent, f.querySelector('dd').textContent])),
      badges: [...li.querySelectorAll('.badges li')].map((b) => b.textContent.trim()),
      sanktioner: [...li.querySelectorAll('.sanktion')].map((s) => s.textContent.trim()),
    };
  }));
}

/** Clicks Søg and waits for the search (or its place's answer) to finish. */
const search = (page) => settle(page, () => page.getByRole('button', { name: 'Søg', exact: true }).click());

const noSidewaysScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/**
 * Roskilde's plejeboliger get a profile from the administrator (lock, updateEnhed, check-in):
 * A demensvenlig with boliger til par, own animals and 7.000 kr.; B a demensafsnit with shared
 * animals from 9.500 kr.; C no couples, no animals, 5.800 kr. A gets a tilsyn and a påbud in
 * force from an ældretilsyn covering Roskilde; B a tilsyn only. One of Roskilde's helhedspleje
 * providers states its ydelser. Once per server.
 */
let profiles;
function roskildeProfiles() {
  profiles ??= (async () => {
    const admin = await makeToken({ role: 'administrator', cvr: '12345678', name: 'Anders Administrator' });
    const hits = (await gql('{ search(kommune: "Roskilde", kind: PLEJEENHED, first: 100) { edges { node { enhedId navn } } } }')).search.edges.map((e) => e.node);
    assert.ok(hits.length >= 5, 'Roskilde has plejeboliger');
    const [a, b, c] = hits;
    const update = async (enhedId, input) => {
      await gql('mutation($id: String!) { lockEnhed(id: $id) { navn } }', { id: enhedId }, admin);
      await gql('mutation($id: String!, $i: EnhedInput!) { updateEnhed(id: $id, input: $i) { navn } }', { id: enhedId, i: input }, admin);
      await gql('mutation($id: String!) { checkInEnhed(id: $id) { navn } }', { id: enhedId }, admin);
    };
    await update(a.enhedId, { demens: 'DEMENSVENLIG', parboliger: 2, dyr: 'EGNE', huslejeFra: 7000 });
    await update(b.enhedId, { demens: 'DEMENSAFSNIT', dyr: 'FAELLES', huslejeFra: 9500, huslejeTil: 11000 });
    await update(c.enhedId, { demens: 'NEJ', parboliger: 0, dyr: 'INGEN', huslejeFra: 5800 });

    const cvr = '55557777';
    await gql('mutation($cvr: String!) { setTilsynOmraade(cvr: $cvr, kommuner: ["Roskilde"]) }', { cvr }, admin);
    const tilsyn = await makeToken({ role: 'aeldretilsyn', cvr, name: 'Tove Tilsyn' });
    await gql('mutation($id: String!, $i: TilsynInput!) { registerTilsyn(enhedId: $id, input: $i) { dato } }', {
      id: a.enhedId, i: { dato: TODAY, vurdering: 'Mindre problemer af betydning', sammenfatning: 'Medicinhåndteringen skal styrkes.' },
    }, tilsyn);
    await gql('mutation($id: String!, $i: PaabudForbudInput!) { givePaabudForbud(enhedId: $id, input: $i) { id } }', {
      id: a.enhedId, i: { type: 'PAABUD', tekst: 'Medicin skal opbevares aflåst.', givet: TODAY },
    }, tilsyn);
    await gql('mutation($id: String!, $i: TilsynInput!) { registerTilsyn(enhedId: $id, input: $i) { dato } }', {
      id: b.enhedId, i: { dato: TODAY, vurdering: 'Ingen eller få problemer', sammenfatning: 'Beboerne oplever god omsorg.' },
    }, admin);

    const helhed = (await gql(`{ search(kommune: "Roskilde", kind: HELHEDSPLEJEENHED, date: "${NEXT_MONTH}", first: 1) { edges { node { enhedId navn } } } }`)).search.edges[0].node;
    await update(helhed.enhedId, { ydelser: ['PERSONLIG_PLEJE', 'PRAKTISK_HJAELP', 'MADSERVICE'] });
    return { a: a.navn, b: b.navn, c: c.navn, helhed: helhed.navn, total: hits.length };
  })();
  return profiles;
}

test('a place a citizen knows: "4000" fills the kommune and sorts nearest first from Roskilde; an unknown place gets an error, an ambiguous one "Mente du …?" (issue 21)', async () => {
  const p = await open();
  try {
    const { page } = p;
    // The kommune may stay empty when a place is given.
    await page.getByLabel('Postnummer eller by').fill('4000');
    await search(page);
    assert.deepEqual(params(page), { kommune: 'Roskilde', type: 'plejebolig', sted: '4000' });
    assert.equal(await page.inputValue('#kommune'), 'Roskilde', 'the place\'s kommune fills the empty field');
    assert.equal(await page.inputValue('#sted'), '4000 Roskilde');
    assert.equal(await page.inputValue('#lat'), '', 'the coordinates stay empty: the place is the point');
    assert.match(await page.locator('#sted-valgt').textContent(), /^Afstanden måles fra 4000 Roskilde\.$/);
    assert.match(await page.locator('#status').textContent(), /^Roskilde Kommune: \d+ steder med plejeboliger i dag, .*nærmeste først fra 4000 Roskilde\./);
    // Nearest first from the town's point, as the API sorts from it.
    const [sted] = (await gql('{ steder(tekst: "4000") { punkt { lat lon } } }')).steder;
    const api = await gql('query($near: PunktInput) { search(kommune: "Roskilde", kind: PLEJEENHED, near: $near, first: 20) { edges { distanceKm node { navn } } } }', { near: sted.punkt });
    const hits = await hitsOf(page);
    assert.ok(hits.length > 1);
    assert.ok(hits.every((h) => Number.isFinite(h.km)), 'every hit shows its distance');
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].km <= hits[i].km, `sorted by distance at ${i}`);
    assert.deepEqual(hits.map((h) => h.navn), api.search.edges.map((e) => e.node.navn));
    assert.equal(hits[0].km, Math.round(api.search.edges[0].distanceKm * 10) / 10);
    // The enhed's page measures from the same point (it reads lat/lon).
    const href = new URL(await page.locator('#hits > li h3 a').first().getAttribute('href'), server.baseUrl);
    assert.equal(Number(href.searchParams.get('lat')), sted.punkt.lat);
    assert.equal(Number(href.searchParams.get('lon')), sted.punkt.lon);
    await noAxeViolations(page, 'a search from a postnummer');

    // Another place: the kommune the page filled in follows it.
    await page.getByLabel('Postnummer eller by').fill('2800');
    await search(page);
    assert.deepEqual(params(page), { kommune: 'Lyngby-Taarbæk', type: 'plejebolig', sted: '2800' });
    assert.match(await page.locator('#status').textContent(), /^Lyngby-Taarbæk Kommune: .*nærmeste først fra 2800 Kongens Lyngby\./);
    // A loose spelling of a town with a kommune the citizen typed: that kommune stays, and the
    // page says where the place lies.
    await page.getByLabel('Kommune', { exact: true }).fill('Roskilde');
    await page.getByLabel('Postnummer eller by').fill('kgs lyngby');
    await search(page);
    assert.deepEqual(params(page), { kommune: 'Roskilde', type: 'plejebolig', sted: '2800' });
    assert.equal(await page.inputValue('#sted'), '2800 Kongens Lyngby');
    assert.match(await page.locator('#sted-valgt').textContent(), /Stedet ligger i Lyngby-Taarbæk Kommune; du ser Roskilde Kommunes tilbud\./);

    // A place nobody knows: the error next to the field, focus on it, no list.
    await page.getByLabel('Postnummer eller by').fill('Atlantis');
    await search(page);
    assert.equal(await page.locator('#sted-fejl').textContent(), 'Vi kender ikke postnummeret eller byen »Atlantis«. Skriv et postnummer med fire cifre, fx 4000, eller navnet på en by, fx Roskilde.');
    assert.equal(await page.getAttribute('#sted', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sted');
    assert.match(await page.getAttribute('#sted', 'aria-describedby'), /\bsted-fejl\b/);
    assert.equal(await page.locator('#hits > li').count(), 0);
    assert.equal(params(page).sted, 'Atlantis', 'the URL keeps what was asked');
    await noAxeViolations(page, 'an unknown place');

    // An ambiguous name: "Mente du …?" with the places as links; the kommune comes from the choice.
    await page.getByLabel('Kommune', { exact: true }).fill('');
    await page.getByLabel('Postnummer eller by').fill('Viby');
    await search(page);
    assert.equal(await page.locator('#sted-fejl').textContent(), '');
    assert.equal(await page.getAttribute('#sted', 'aria-invalid'), null);
    await page.locator('#sted-valg', { hasText: 'Flere steder passer på »Viby«. Mente du …?' }).waitFor();
    const choices = page.locator('#sted-valg a');
    assert.deepEqual(await choices.allTextContents(), ['8260 Viby J', '4130 Viby Sjælland']);
    assert.deepEqual(await page.locator('#sted-valg li').allTextContents(), ['8260 Viby J i Aarhus Kommune', '4130 Viby Sjælland i Roskilde Kommune']);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sted');
    assert.match(await page.locator('#status').textContent(), /Vælg et af stederne/);
    await noAxeViolations(page, '"Mente du …?"');
    // The choices are links to the search from each (a new tab works too).
    assert.equal(new URL(await choices.nth(1).getAttribute('href'), server.baseUrl).searchParams.get('sted'), '4130');
    await settle(page, () => choices.nth(1).click());
    assert.deepEqual(params(page), { kommune: 'Roskilde', type: 'plejebolig', sted: '4130' });
    assert.equal(await page.inputValue('#sted'), '4130 Viby Sjælland');
    assert.equal(await page.locator('#sted-valg').isVisible(), false);
    assert.ok((await hitsOf(page)).every((h) => Number.isFinite(h.km)));

    // Back: the ambiguous name again with its choices; a link with sted alone works.
    await settle(page, () => page.goBack());
    assert.equal(params(page).sted, 'Viby');
    await page.locator('#sted-valg a', { hasText: '8260 Viby J' }).waitFor();
    await page.goto(`${server.baseUrl}/soeg?sted=Ronne&type=plejebolig`);
    await page.waitForFunction(() => Number(document.getElementById('resultater').dataset.done ?? 0) >= 1);
    assert.deepEqual(params(page), { kommune: 'Bornholm', type: 'plejebolig', sted: '3700' }, '"Ronne" is Rønne (not Rønnede)');
    assert.equal(await page.inputValue('#sted'), '3700 Rønne');
    // "Brug min position" and typed coordinates still work, and replace the place.
    await page.getByLabel('Breddegrad').fill('55,1');
    await page.getByLabel('Længdegrad').fill('14,7');
    await search(page);
    assert.deepEqual(params(page), { kommune: 'Bornholm', type: 'plejebolig', lat: '55.1', lon: '14.7' });
    assert.equal(await page.inputValue('#sted'), '');
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('Vis kun: each choice\'s count is the number of hits after ticking it; the URL and a reload keep the filters and the place; helhedspleje hides the plejebolig-only ones (R31, R32)', async () => {
  const data = await roskildeProfiles();
  const p = await open('?kommune=Roskilde&type=plejebolig');
  try {
    const { page } = p;
    const label = (id) => page.locator(`label[for="${id}"]`).textContent();
    const countOf = async (id) => Number(/\((\d+)\)$/.exec(await label(id))?.[1]);
    // The counts of the profiles set up (A, B, C) and the one påbud (A).
    assert.equal(await label('f-demens'), 'Demensvenlig eller demensafsnit (2)');
    assert.equal(await label('f-par'), 'Boliger til par (1)');
    assert.equal(await label('f-dyr'), 'Dyr er velkomne (2)');
    assert.equal(await label('f-udenpaabud'), `Uden påbud eller forbud fra ældretilsynet (${data.total - 1})`);
    assert.deepEqual(await page.locator('#f-husleje option').allTextContents(), [
      'Ingen grænse', '6.000 kr. om måneden (1)', '8.000 kr. om måneden (2)', '10.000 kr. om måneden (3)',
      '12.000 kr. om måneden (3)', '15.000 kr. om måneden (3)',
    ]);
    await noAxeViolations(page, 'Vis kun with counts');

    // Each checkbox alone: its count is the number of hits after ticking it.
    for (const [id, key] of [['f-demens', 'demens'], ['f-par', 'par'], ['f-dyr', 'dyr'], ['f-udenpaabud', 'udenpaabud']]) {
      const n = await countOf(id);
      await page.locator(`#${id}`).check();
      await search(page);
      assert.equal(params(page)[key], '1');
      assert.equal((await hitsOf(page)).length, n, `${id}: the count on the option`);
      assert.equal(await countOf(id), n, `${id}: ticked, its count is the list's`);
      await page.locator(`#${id}`).uncheck();
      await search(page);
    }
    // Each husleje threshold.
    for (const value of ['6000', '8000', '10000']) {
      const text = await page.locator(`#f-husleje option[value="${value}"]`).textContent();
      const n = Number(/\((\d+)\)$/.exec(text)[1]);
      await page.getByLabel('Højst husleje').selectOption(value);
      await search(page);
      assert.equal(params(page).husleje, value);
      assert.equal((await hitsOf(page)).length, n, `husleje ${value}`);
    }
    assert.deepEqual((await hitsOf(page)).map((h) => h.navn).sort(), [data.a, data.b, data.c].sort());

    // Together, from a place: only A is demensvenlig with boliger til par, and 7.000 kr. is under 8.000.
    await page.getByLabel('Højst husleje').selectOption('8000');
    await page.getByLabel(/^Demensvenlig/).check();
    await page.getByLabel(/^Boliger til par/).check();
    await page.getByLabel('Postnummer eller by').fill('4000');
    await search(page);
    const expected = { kommune: 'Roskilde', type: 'plejebolig', sted: '4000', demens: '1', par: '1', husleje: '8000' };
    assert.deepEqual(params(page), expected);
    assert.deepEqual((await hitsOf(page)).map((h) => h.navn), [data.a]);
    assert.match(await page.locator('#status').textContent(), /Vis kun: demensvenlig eller demensafsnit, boliger til par og husleje højst 8\.000 kr\. om måneden\./);
    // A path that excludes A: uden påbud.
    await page.getByLabel(/^Uden påbud/).check();
    await search(page);
    assert.equal(await page.locator('#hits > li').count(), 0);
    assert.match(await page.locator('#status').textContent(), /^Roskilde Kommune har ingen steder med plejeboliger .* med dine valg under Vis kun\./);
    await page.getByLabel(/^Uden påbud/).uncheck();
    await search(page);

    // Reload keeps the filters and the place.
    await page.reload();
    await page.waitForFunction(() => Number(document.getElementById('resultater').dataset.done ?? 0) >= 1);
    assert.deepEqual(params(page), expected);
    assert.ok(await page.isChecked('#f-demens'));
    assert.ok(await page.isChecked('#f-par'));
    assert.equal(await page.isChecked('#f-dyr'), false);
    assert.equal(await page.inputValue('#f-husleje'), '8000');
    assert.equal(await page.inputValue('#sted'), '4000 Roskilde');
    assert.deepEqual((await hitsOf(page)).map((h) => h.navn), [data.a]);
    assert.ok(Number.isFinite((await hitsOf(page))[0].km));
    assert.equal(await label('f-demens'), 'Demensvenlig eller demensafsnit (1)');
    // Søg again unchanged: the place shown ("4000 Roskilde") is the same search, no new history entry.
    const entries = await page.evaluate(() => history.length);
    await search(page);
    assert.equal(await page.evaluate(() => history.length), entries);
    assert.deepEqual(params(page), expected);

    // Helhedspleje: the plejebolig-only filters are hidden with a word why, and left out of the search.
    await page.getByLabel(/^Helhedspleje/).check();
    for (const id of ['f-demens', 'f-par', 'f-dyr', 'f-husleje']) assert.equal(await page.locator(`#${id}`).isVisible(), false, `${id} hidden`);
    assert.ok(await page.locator('#f-udenpaabud').isVisible());
    await page.locator('#filtre-helhedspleje', { hasText: 'gælder kun plejeboliger' }).waitFor();
    await page.getByLabel('Dato').fill(NEXT_MONTH);
    await search(page);
    assert.deepEqual(params(page), { kommune: 'Roskilde', type: 'helhedspleje', dato: NEXT_MONTH, sted: '4000' });
    assert.ok((await hitsOf(page)).length > 0, 'the plejebolig filters did not narrow helhedspleje');
    assert.match(await label('f-udenpaabud'), /\(\d+\)$/);
    await noAxeViolations(page, 'helhedspleje with Vis kun');
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test('a hit shows husleje, badges, the latest tilsyn and a påbud in force in words; helhedspleje its ydelser; axe-core; no sideways scrolling at 390 px (R31, R32)', async () => {
  const data = await roskildeProfiles();
  const p = await open('?kommune=Roskilde&type=plejebolig&sted=4000', { viewport: { width: 390, height: 844 } });
  try {
    const { page } = p;
    const hits = await profileHitsOf(page);
    const a = hits.find((h) => h.navn === data.a);
    const b = hits.find((h) => h.navn === data.b);
    const c = hits.find((h) => h.navn === data.c);
    assert.equal(a.facts.Husleje, '7.000 kr. om måneden');
    assert.deepEqual(a.badges, ['Demensvenlig', 'Boliger til par', 'Eget dyr kan komme med']);
    assert.equal(a.facts['Seneste tilsyn'], `${dayInDanish(TODAY)} – Mindre problemer af betydning`);
    assert.deepEqual(a.sanktioner, [`Påbud fra ældretilsynet: Medicin skal opbevares aflåst. (givet ${dayInDanish(TODAY)})`]);
    assert.match(b.facts.Husleje, /^9\.500.*11\.000 kr\. om måneden$/);
    assert.deepEqual(b.badges, ['Demensafsnit', 'Dyr på stedet']);
    assert.equal(b.facts['Seneste tilsyn'], `${dayInDanish(TODAY)} – Ingen eller få problemer`);
    assert.deepEqual(b.sanktioner, []);
    assert.deepEqual(c.badges, [], 'no badge for what it does not have');
    assert.equal(c.facts['Seneste tilsyn'], undefined, 'no tilsyn line without a tilsyn');
    // The notice says what it is in words, in its own frame; no photos on the list.
    const notice = page.locator('#hits .sanktion').first();
    assert.equal(await notice.locator('strong').textContent(), 'Påbud fra ældretilsynet:');
    assert.equal(await page.locator('#hits img').count(), 0);
    await notice.scrollIntoViewIfNeeded();
    await noAxeViolations(page, 'hits with profile and tilsyn on a phone');
    assert.equal(await noSidewaysScroll(page), true, 'no sideways scrolling with hits');
    await screenshot(page, 'soeg-profil-telefon.png');

    // "Mente du …?" and the filters on a phone.
    await page.getByLabel('Postnummer eller by').fill('København');
    await search(page);
    await page.locator('#sted-valg a').first().waitFor();
    assert.equal(await noSidewaysScroll(page), true, 'no sideways scrolling with the choices');
    await noAxeViolations(page, '"Mente du …?" on a phone');

    // Helhedspleje: the ydelser in words.
    await page.goto(`${server.baseUrl}/soeg?kommune=Roskilde&type=helhedspleje&dato=${NEXT_MONTH}`);
    await page.waitForFunction(() => Number(document.getElementById('resultater').dataset.done ?? 0) >= 1);
    const helhed = (await profileHitsOf(page)).find((h) => h.navn === data.helhed);
    assert.equal(helhed.facts.Ydelser, 'Personlig pleje, praktisk hjælp og madservice');
    assert.equal(await noSidewaysScroll(page), true);
    await noProblems(p);
  } finally {
    await p.close();
  }
});

test("an enhed's page shows its profile, photo and tilsyn in words; the påbud note leads to the tilsyn; Sammenlign has the rows; phone and desktop; axe (R31, R32)", async () => {
  await roskildeProfiles();
  const admin = await makeToken({ role: 'administrator', cvr: '12345678', name: 'Anders Administrator' });
  const hits = (await gql('{ search(kommune: "Roskilde", kind: PLEJEENHED, first: 100) { edges { node { enhedId navn } } } }')).search.edges.map((e) => e.node);
  const [a, b] = hits;
  // A photo of the first, uploaded under its lock (a PNG made here), with its alt text.
  await gql('mutation($id: String!) { lockEnhed(id: $id) { navn } }', { id: a.enhedId }, admin);
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAEElEQVR4nGOI6rGBIwacHAAKsg2ZYpRCpwAAAABJRU5ErkJggg==', 'base64');
  const up = await fetch(`${server.baseUrl}/enhed/${encodeURIComponent(a.enhedId)}/fotos?alt=${encodeURIComponent('Fællesstuen med udsigt til haven')}`, {
    method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'image/png' }, body: png,
  });
  assert.equal(up.status, 201, await up.clone().text());
  await gql('mutation($id: String!) { checkInEnhed(id: $id) { navn } }', { id: a.enhedId }, admin);
  const p = await open(`?kommune=Roskilde&type=plejebolig&sted=4000`, { viewport: { width: 390, height: 844 } });
  try {
    const { page } = p;
    await page.goto(`${server.baseUrl}/soeg/enhed/${encodeURIComponent(a.enhedId)}?kommune=Roskilde&type=plejebolig&sted=4000`);
    await page.getByRole('heading', { name: a.navn, level: 1 }).waitFor();
    const img = page.getByRole('img', { name: 'Fællesstuen med udsigt til haven' });
    await img.waitFor();
    // Lazy and decoded off the main thread: wait for it to load (or fail) before asking.
    await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((i) => i.complete, await img.elementHandle(), { timeout: 10_000 }).catch(() => {});
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth === 4), 'the photo loads from this origin');
    const facts = Object.fromEntries(await page.$$eval('#profil dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    assert.equal(facts.Husleje, '7.000 kr. om måneden');
    assert.equal(facts.Demens, 'Demensvenlig');
    assert.equal(facts['Boliger til par'], '2');
    assert.equal(facts.Dyr, 'Du kan tage dit eget dyr med');
    await page.getByRole('heading', { name: 'Ældretilsynet', level: 2 }).waitFor();
    assert.match(await page.locator('#tilsyn').locator('..').textContent(), /Mindre problemer af betydning/);
    // The note at the top says it in words and leads to the section, by keyboard.
    const note = page.locator('#sanktion-note');
    assert.match(await note.textContent(), /påbud eller forbud, som gælder nu/);
    await note.getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#tilsyn');
    assert.match(await page.locator('.sanktion').textContent(), /Påbud fra ældretilsynet.*Medicin skal opbevares aflåst\./);
    await noAxeViolations(page, 'the enhed page with profile, photo and tilsyn on a phone');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'soeg-enhed-profil.png');
    // The way back keeps the place.
    await page.getByRole('link', { name: 'Tilbage til resultaterne' }).first().click();
    await page.waitForFunction(() => Number(document.getElementById('resultater')?.dataset.done ?? 0) >= 1);
    assert.equal(params(page).sted, '4000');
    // Sammenlign: a row per fact and the tilsyn rows.
    await page.goto(`${server.baseUrl}/soeg/sammenlign?kommune=Roskilde&enhed=${encodeURIComponent(a.enhedId)}&enhed=${encodeURIComponent(b.enhedId)}`);
    const row = (label) => page.locator('table.compare tr', { has: page.locator(`th[scope=row]:text-is("${label}")`) });
    assert.deepEqual(await row('Husleje').locator('td').allTextContents(), ['7.000 kr. om måneden', '9.500–11.000 kr. om måneden']);
    assert.match((await row('Påbud eller forbud').locator('td').allTextContents())[0], /Medicin skal opbevares aflåst/);
    assert.equal((await row('Påbud eller forbud').locator('td').allTextContents())[1], 'Ingen');
    await noAxeViolations(page, 'Sammenlign with profile and tilsyn');
    await noProblems(p);
  } finally {
    await p.close();
  }
});
