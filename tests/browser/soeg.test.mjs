// The citizen search at /soeg in a real browser: renders offline under its CSP, searches through
// the public GraphQL API only (no token), sorts by distance, pages with "Vis flere", keeps its
// state in the URL, shows a helhedspleje offer once the provider's redaktør has written the
// beskrivelse, and passes axe-core and a keyboard walk.
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
  if (new URLSearchParams(query).get('kommune')) {
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
    for (let i = 0; i < 14 && order.at(-1) !== 'soeg-knap'; i++) {
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
    assert.deepEqual(order, ['skip', 'kommune', 'type-helhedspleje', 'dato', 'lat', 'lon', 'min-position', 'ryd-punkt', 'soeg-knap']);

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
