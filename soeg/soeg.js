// The citizen search at /soeg: the public GraphQL API only (anonymous `kommuner` and `search`,
// POST to /graphql), no token, no other host. The URL is the state of a search
// (?kommune=Roskilde&type=helhedspleje&dato=2026-12-01&lat=55.64&lon=12.08), so a search can be
// linked and the browser's back button works. Everything shown is set with textContent, never
// as HTML. Served from /assets under the page's Content-Security-Policy (no inline script).

const PAGE_SIZE = 20;

const SEARCH = `query Soeg($kommune: String!, $kind: SearchKind, $date: Date, $near: PunktInput, $first: Int, $after: String) {
  search(kommune: $kommune, kind: $kind, date: $date, near: $near, first: $first, after: $after) {
    totalCount
    kommuneKode
    dato
    pageInfo { hasNextPage endCursor }
    edges {
      distanceKm
      node {
        id enhedId navn kind boligtype antalBoliger placering { lat lon }
        adresse { vejnavn postnummer by }
        kommune { kode navn officieltNavn }
        kontakt { telefon email web }
      }
      serviceleverance { type typeNavn typeForklaring beskrivelse startdato slutdato }
    }
  }
}`;

const KOMMUNER = 'query Kommuner { kommuner { kode navn officieltNavn } }';

const KINDS = {
  plejebolig: { api: 'PLEJEENHED', one: 'sted med plejeboliger', many: 'steder med plejeboliger', title: 'Plejeboliger' },
  helhedspleje: { api: 'HELHEDSPLEJEENHED', one: 'leverandør af helhedspleje', many: 'leverandører af helhedspleje', title: 'Helhedspleje' },
};

const BOLIGTYPER = {
  PLEJEBOLIG: 'Plejebolig',
  FRIPLEJEBOLIG: 'Friplejebolig',
  LOKALPLEJEHJEM: 'Lokalplejehjem',
};

const $ = (id) => document.getElementById(id);
const form = $('soegning');
const fields = {
  kommune: $('kommune'),
  dato: $('dato'),
  lat: $('lat'),
  lon: $('lon'),
};
const errors = {
  kommune: $('kommune-fejl'),
  dato: $('dato-fejl'),
  punkt: $('punkt-fejl'),
};
const statusEl = $('status');
const alertEl = $('fejl');
const hitsEl = $('hits');
const moreBtn = $('vis-flere');
const positionBtn = $('min-position');
const resultsEl = $('resultater');

/** kode → navn, filled by `kommuner`. */
const kommuneNavn = new Map();
// kode → the official name ("Københavns Kommune").
const kommuneOfficielt = new Map();
let kommunerLoaded = null;

/** The search shown: its parameters, the cursor of its last hit and how many are shown. */
let current = null;
let generation = 0;
let inflight = null;
/** Finished searches and "Vis flere" (in `data-done` of the results, for tests). */
let done = 0;
function finished() {
  resultsEl.dataset.done = String(++done);
  hitsEl.removeAttribute('aria-busy');
}

// ---- Dates and numbers in Danish -----------------------------------------------------------

/** Today in Europe/Copenhagen as YYYY-MM-DD (the API's default day). */
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

const dayFormat = new Intl.DateTimeFormat('da-DK', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
function formatDay(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? '');
  if (!m) return iso ?? '';
  return dayFormat.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

const kmFormat = new Intl.NumberFormat('da-DK', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const coordFormat = new Intl.NumberFormat('da-DK', { maximumFractionDigits: 6, useGrouping: false });
const countFormat = new Intl.NumberFormat('da-DK');

/** A coordinate typed the Danish way (56,1535) or the English way (56.1535); NaN when not a number. */
function parseCoord(s) {
  const t = String(s ?? '').trim().replace(',', '.');
  if (!/^[-+]?\d{1,3}(\.\d+)?$/.test(t)) return Number.NaN;
  return Number(t);
}

// ---- The URL as state ------------------------------------------------------------------------

/** The search the URL asks for, or null when it names no kommune. */
function stateFromUrl() {
  const q = new URLSearchParams(location.search);
  const kommune = (q.get('kommune') ?? '').trim();
  const type = q.get('type') === 'helhedspleje' ? 'helhedspleje' : 'plejebolig';
  const dato = /^\d{4}-\d{2}-\d{2}$/.test(q.get('dato') ?? '') ? q.get('dato') : '';
  const lat = parseCoord(q.get('lat'));
  const lon = parseCoord(q.get('lon'));
  const near = Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : null;
  return { kommune, type, dato, near };
}

function urlOf(s) {
  const q = new URLSearchParams();
  if (s.kommune) q.set('kommune', s.kommune);
  q.set('type', s.type);
  if (s.dato) q.set('dato', s.dato);
  if (s.near) {
    q.set('lat', String(s.near.lat));
    q.set('lon', String(s.near.lon));
  }
  return `${location.pathname}?${q}`;
}

function fillForm(s) {
  fields.kommune.value = s.kommune;
  form.elements.type.value = s.type;
  fields.dato.value = s.dato || today();
  fields.lat.value = s.near ? coordFormat.format(s.near.lat) : '';
  fields.lon.value = s.near ? coordFormat.format(s.near.lon) : '';
}

// ---- Field errors ----------------------------------------------------------------------------

function setError(name, message, inputs) {
  errors[name].textContent = message ?? '';
  for (const input of inputs) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

function clearErrors() {
  setError('kommune', null, [fields.kommune]);
  setError('dato', null, [fields.dato]);
  setError('punkt', null, [fields.lat, fields.lon]);
  alertEl.textContent = '';
}

/** The search the form asks for, or null (with the errors shown and focus on the first). */
function stateFromForm() {
  clearErrors();
  let first = null;
  const kommune = fields.kommune.value.trim();
  if (!kommune) {
    setError('kommune', 'Vælg en kommune.', [fields.kommune]);
    first ??= fields.kommune;
  }
  const dato = fields.dato.value;
  if (fields.dato.validity.badInput || (dato && !/^\d{4}-\d{2}-\d{2}$/.test(dato))) {
    setError('dato', 'Angiv en gyldig dato.', [fields.dato]);
    first ??= fields.dato;
  }
  let near = null;
  const latText = fields.lat.value.trim();
  const lonText = fields.lon.value.trim();
  if (latText || lonText) {
    const lat = parseCoord(latText);
    const lon = parseCoord(lonText);
    if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) {
      setError('punkt', 'Angiv både breddegrad (-90 til 90) og længdegrad (-180 til 180) som tal, fx 56,1535 og 10,2045, eller ryd punktet.', [fields.lat, fields.lon]);
      first ??= Number.isFinite(lat) && lat >= -90 && lat <= 90 ? fields.lon : fields.lat;
    } else {
      near = { lat, lon };
    }
  }
  if (first) {
    first.focus();
    return null;
  }
  const type = form.elements.type.value === 'helhedspleje' ? 'helhedspleje' : 'plejebolig';
  // Today is the default day: a link without a date always means "today".
  return { kommune, type, dato: dato && dato !== today() ? dato : '', near };
}

// ---- GraphQL ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

async function graphql(query, variables, signal) {
  let resp;
  try {
    resp = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
      signal,
      credentials: 'omit',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('Der er ingen forbindelse til Plejeoverblik. Prøv igen om lidt.');
  }
  if (resp.status === 429) throw new ApiError('Der er mange søgninger lige nu. Vent et øjeblik, og prøv igen.');
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  const err = body?.errors?.[0];
  if (err) {
    const fieldsOf = err.extensions?.fields;
    const field = Array.isArray(fieldsOf) ? fieldsOf[0] : undefined;
    throw new ApiError(err.message || 'Søgningen mislykkedes.', field);
  }
  if (!resp.ok || !body?.data) throw new ApiError('Søgningen mislykkedes. Prøv igen om lidt.');
  return body.data;
}

function loadKommuner() {
  kommunerLoaded ??= graphql(KOMMUNER, {})
    .then((data) => {
      const list = [...data.kommuner].sort((a, b) => a.navn.localeCompare(b.navn, 'da'));
      const options = document.createDocumentFragment();
      for (const k of list) {
        kommuneNavn.set(k.kode, k.navn);
        kommuneOfficielt.set(k.kode, k.officieltNavn);
        const o = document.createElement('option');
        o.value = k.navn;
        options.append(o);
      }
      $('kommune-liste').replaceChildren(options);
    })
    .catch(() => {
      // The search still works with a typed name; only the suggestions are missing.
    });
  return kommunerLoaded;
}

// ---- Rendering -------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function fact(term, ...desc) {
  return el('div', { class: 'fact' }, el('dt', {}, term), el('dd', {}, ...desc));
}

/** A web address from the register, only when it is http(s). */
function safeWeb(url) {
  const t = String(url ?? '').trim();
  if (!t) return null;
  try {
    const u = new URL(/^https?:\/\//i.test(t) ? t : `https://${t}`);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : null;
  } catch {
    return null;
  }
}

/** The enhed's own page with the search's kommune, day and point (its link back to the list
 * keeps them). */
function detailsHref(n, searched) {
  const q = new URLSearchParams(location.search);
  q.set('kommune', searched.kommuneKode);
  return `/soeg/enhed/${encodeURIComponent(n.enhedId)}?${q}`;
}

let hitCounter = 0;
function renderHit(edge, searched) {
  const n = edge.node;
  const sl = edge.serviceleverance;
  const id = `hit-${++hitCounter}`;
  const adresse = [n.adresse?.vejnavn, [n.adresse?.postnummer, n.adresse?.by].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const other = n.kommune && n.kommune.kode !== searched.kommuneKode ? `Ligger i ${n.kommune.officieltNavn}` : null;

  const head = el('div', { class: 'hit-head' },
    el('h3', { id, tabindex: '-1' }, el('a', { href: detailsHref(n, searched) }, n.navn)),
    edge.distanceKm !== null && edge.distanceKm !== undefined
      ? el('p', { class: 'distance' }, `${kmFormat.format(edge.distanceKm)} km`, el('span', { class: 'visually-hidden' }, ' fra punktet'))
      : null,
  );

  // The type in words and what it means to a citizen come from the API (one home for them).
  const [typeLabel, typeHelp] = [sl.typeNavn ?? 'Ukendt', sl.typeForklaring];
  const facts = el('dl', { class: 'facts' },
    fact('Adresse', adresse || 'Ikke oplyst', other ? el('span', { class: 'note' }, ` · ${other}`) : null),
    fact('Aftale', el('span', { class: 'tag' }, typeLabel), typeHelp ? el('span', { class: 'note' }, ` ${typeHelp}`) : null),
    fact('Gælder', sl.startdato ? `fra ${formatDay(sl.startdato)}` : 'fra —', sl.slutdato ? ` til ${formatDay(sl.slutdato)}` : ', uden slutdato'),
  );
  if (n.kind === 'PLEJEENHED' && (n.boligtype || n.antalBoliger)) {
    const parts = [BOLIGTYPER[n.boligtype] ?? null, n.antalBoliger ? `${countFormat.format(n.antalBoliger)} boliger` : null].filter(Boolean);
    facts.append(fact('Boliger', parts.join(', ')));
  }
  const contact = [];
  if (n.kontakt?.telefon) contact.push(el('span', {}, `Telefon ${n.kontakt.telefon}`));
  if (n.kontakt?.email) contact.push(el('a', { href: `mailto:${n.kontakt.email}` }, n.kontakt.email));
  const web = safeWeb(n.kontakt?.web);
  if (web) contact.push(el('a', { href: web.href, rel: 'noopener noreferrer' }, el('span', { class: 'visually-hidden' }, 'Hjemmeside: '), web.host.replace(/^www\./, '')));
  if (contact.length) {
    const dd = [];
    contact.forEach((c, i) => {
      if (i) dd.push(' · ');
      dd.push(c);
    });
    facts.append(fact('Kontakt', ...dd));
  }

  const article = el('article', { class: 'hit', 'aria-labelledby': id }, head, facts);
  if (sl.beskrivelse) {
    article.append(el('div', { class: 'beskrivelse' },
      el('h4', {}, 'Leverandørens beskrivelse af aftalen'),
      el('p', {}, sl.beskrivelse)));
  }
  article.append(compareBox(n, id));
  const li = el('li', {}, article);
  if (n.placering) {
    li.dataset.lat = n.placering.lat;
    li.dataset.lon = n.placering.lon;
  }
  return li;
}

// ---- Sammenlign: up to three hits side by side (/soeg/sammenlign, the address is the state) --

const COMPARE_MAX = 3;
/** The chosen hits, in the order chosen: enhedId -> name. */
const chosen = new Map();
const compareBar = el('p', { class: 'compare-bar', id: 'sammenlign', hidden: true });
hitsEl.after(compareBar);

function compareBox(n, labelledBy) {
  const box = el('input', { type: 'checkbox', 'data-enhed': n.enhedId, 'aria-describedby': 'sammenlign' });
  box.checked = chosen.has(n.enhedId);
  box.addEventListener('change', () => {
    if (box.checked) chosen.set(n.enhedId, n.navn);
    else chosen.delete(n.enhedId);
    updateCompare();
  });
  const label = el('label', { class: 'hit-compare' }, box, ' Sammenlign');
  label.setAttribute('aria-describedby', labelledBy);
  return label;
}

function updateCompare() {
  const full = chosen.size >= COMPARE_MAX;
  for (const b of hitsEl.querySelectorAll('input[data-enhed]')) b.disabled = full && !b.checked;
  if (chosen.size === 0) {
    compareBar.hidden = true;
    compareBar.replaceChildren();
    return;
  }
  compareBar.hidden = false;
  const q = new URLSearchParams(location.search);
  if (current) q.set('kommune', current.kommuneKode);
  for (const id of chosen.keys()) q.append('enhed', id);
  const names = [...chosen.values()].join(', ');
  compareBar.replaceChildren(
    chosen.size < 2
      ? `Valgt til sammenligning: ${names}. Vælg én til.`
      : el('a', { href: `/soeg/sammenlign?${q}`, class: 'button-primary' }, `Sammenlign ${chosen.size}: ${names}`),
    full ? el('span', { class: 'note' }, ` Du kan sammenligne højst ${COMPARE_MAX} ad gangen.`) : null);
}

// ---- The map: the kommune's outline and the hits as numbered points (no tiles, no other host) --

const KORT = 'query Kort($k: String!) { kommuneKort(kommune: $k) { viewBox omrids projektion { minLon maxLat xPerDegree yPerDegree margin } } }';
const SVG = 'http://www.w3.org/2000/svg';
const kortCache = new Map();
const mapEl = el('figure', { class: 'kort', id: 'kort', hidden: true });
hitsEl.before(mapEl);
// Frit valg made visible (ældreloven § 18): for helhedspleje the citizen chooses among all of
// the kommune's providers, and the list is all of them.
const fritValgEl = el('p', { class: 'note', id: 'frit-valg', hidden: true });
mapEl.before(fritValgEl);

function showFritValg(search, total) {
  fritValgEl.hidden = !(search.type === 'helhedspleje' && total > 0);
  fritValgEl.textContent = fritValgEl.hidden ? ''
    : `Du har frit valg: du kan selv vælge, hvilken af ${total === 1 ? 'kommunens leverandør' : `kommunens ${countFormat.format(total)} leverandører`} af helhedspleje der skal hjælpe dig (ældreloven § 18). Listen viser dem alle; kommunens visitator kan hjælpe med valget.`;
}

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

/** Draws the kommune of the current search with its hits shown so far, numbered as the list;
 * each point is a link to its hit (reachable with Tab). The list is the map's text. */
async function drawMap() {
  const kode = current?.kommuneKode;
  if (!kode) {
    mapEl.hidden = true;
    return;
  }
  let kort = kortCache.get(kode);
  if (kort === undefined) {
    try {
      kort = (await graphql(KORT, { k: kode })).kommuneKort;
    } catch {
      kort = null; // the list says it all; the map is an extra
    }
    kortCache.set(kode, kort);
  }
  if (!kort || current?.kommuneKode !== kode) {
    mapEl.hidden = !kort;
    return;
  }
  const p = kort.projektion;
  const place = (lat, lon) => [p.margin + (lon - p.minLon) * p.xPerDegree, p.margin + (p.maxLat - lat) * p.yPerDegree];
  const points = [];
  [...hitsEl.children].forEach((li, i) => {
    const lat = Number(li.dataset.lat);
    const lon = Number(li.dataset.lon);
    const h3 = li.querySelector('h3');
    if (!li.dataset.lat || !h3) return;
    // A unit outside the kommune (a neighbour's it has an agreement with) sits on the edge,
    // drawn as outside, rather than zooming the map out.
    const [px, py] = place(lat, lon);
    const [, , w, hgt] = kort.viewBox.split(' ').map(Number);
    const x = Math.min(Math.max(px, 18), w - 18);
    const y = Math.min(Math.max(py, 18), hgt - 18);
    const outside = x !== px || y !== py;
    const label = `${i + 1}. ${h3.textContent.trim()}${outside ? ' (ligger uden for kommunen)' : ''}`;
    const a = svg('a', { href: `#${h3.id}`, class: outside ? 'kort-punkt kort-udenfor' : 'kort-punkt', 'aria-label': label },
      svg('title', {}, label),
      svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 17 }),
      svg('text', { x: x.toFixed(1), y: (y + 6).toFixed(1), 'text-anchor': 'middle' }, String(i + 1)));
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      h3.focus();
      h3.scrollIntoView({ block: 'center' });
    });
    points.push(a);
  });
  const titleId = 'kort-titel';
  const navn = kommuneOfficielt.get(kode) ?? '';
  mapEl.replaceChildren(
    svg('svg', { viewBox: kort.viewBox, role: 'group', 'aria-labelledby': titleId, class: 'kort-svg' },
      svg('path', { d: kort.omrids, class: 'kort-omrids' }),
      ...points),
    el('figcaption', { id: titleId }, `Kort over ${navn} med de ${points.length} viste steder, nummereret som listen. Listen herunder har de samme oplysninger.`));
  mapEl.hidden = false;
}

function summary(result, search, shown) {
  const kind = KINDS[search.type];
  const total = result.totalCount;
  const navn = kommuneOfficielt.get(result.kommuneKode) ?? `${search.kommune} Kommune`;
  const what = `${countFormat.format(total)} ${total === 1 ? kind.one : kind.many}`;
  const day = result.dato === today() ? `i dag, ${formatDay(result.dato)}` : `den ${formatDay(result.dato)}`;
  let s = total === 0
    ? `${navn} har ingen ${kind.many} ${day}.`
    : `${navn}: ${what} ${day}${search.near ? ', nærmeste først' : ''}.`;
  if (total > 0 && shown < total) s += ` Viser ${countFormat.format(shown)} af ${countFormat.format(total)}.`;
  return s;
}

// ---- Searching -------------------------------------------------------------------------------

function variables(search, after) {
  return {
    kommune: search.kommune,
    kind: KINDS[search.type].api,
    date: search.dato || null,
    near: search.near,
    first: PAGE_SIZE,
    after: after ?? null,
  };
}

/**
 * Runs `search` (a new search: the list starts over). `how`: 'push' adds a history entry,
 * 'replace' replaces it (page load), 'none' leaves it (back/forward).
 */
async function run(search, how) {
  const mine = ++generation;
  inflight?.abort();
  inflight = new AbortController();
  clearErrors();
  moreBtn.hidden = true;
  statusEl.textContent = 'Søger …';
  hitsEl.setAttribute('aria-busy', 'true');
  if (how === 'push' && urlOf(search) !== location.pathname + location.search) history.pushState(null, '', urlOf(search));
  try {
    const [data] = await Promise.all([graphql(SEARCH, variables(search), inflight.signal), loadKommuner()]);
    if (mine !== generation) return;
    const result = data.search;
    // The kommune by its name as the API knows it ("Kobenhavn" → "København").
    const canonical = kommuneNavn.get(result.kommuneKode);
    if (canonical) {
      search = { ...search, kommune: canonical };
      fields.kommune.value = canonical;
    }
    if (how !== 'none') history.replaceState(null, '', urlOf(search));
    fields.dato.value = result.dato;
    current = { search, kommuneKode: result.kommuneKode, dato: result.dato, cursor: result.pageInfo.endCursor, shown: result.edges.length, total: result.totalCount };
    chosen.clear();
    hitsEl.replaceChildren(...result.edges.map((e) => renderHit(e, current)));
    updateCompare();
    drawMap();
    showFritValg(search, result.totalCount);
    moreBtn.hidden = !result.pageInfo.hasNextPage;
    statusEl.textContent = summary(result, search, current.shown);
    document.title = `${KINDS[search.type].title} i ${kommuneOfficielt.get(result.kommuneKode) ?? search.kommune} – Plejeoverblik`;
  } catch (e) {
    if (e.name === 'AbortError' || mine !== generation) return;
    current = null;
    hitsEl.replaceChildren();
    statusEl.textContent = 'Ingen resultater.';
    if (e.field === 'kommune') {
      setError('kommune', e.message, [fields.kommune]);
      fields.kommune.focus();
    } else if (e.field === 'date') {
      // The API's messages name its fields ("date"); a citizen reads the form's words.
      setError('dato', 'Vælg en dato mellem 1. januar 1900 og 31. december 2999.', [fields.dato]);
      fields.dato.focus();
    } else if (e.field === 'near' || e.field === 'radiusKm') {
      setError('punkt', 'Breddegraden skal ligge mellem -90 og 90 og længdegraden mellem -180 og 180, fx 56,1535 og 10,2045.', [fields.lat, fields.lon]);
      fields.lat.focus();
    } else {
      alertEl.textContent = e.message;
    }
  } finally {
    if (mine === generation) finished();
  }
}

async function more() {
  if (!current) return;
  const mine = generation;
  moreBtn.disabled = true;
  statusEl.textContent = 'Henter flere …';
  try {
    const data = await graphql(SEARCH, variables(current.search, current.cursor), inflight?.signal);
    if (mine !== generation) return;
    const result = data.search;
    const items = result.edges.map((e) => renderHit(e, current));
    hitsEl.append(...items);
    drawMap();
    current.cursor = result.pageInfo.endCursor;
    current.shown += result.edges.length;
    moreBtn.hidden = !result.pageInfo.hasNextPage;
    statusEl.textContent = summary(result, current.search, current.shown);
    // Keyboard and screen reader users continue at the first new hit.
    items[0]?.querySelector('h3')?.focus();
  } catch (e) {
    if (e.name === 'AbortError' || mine !== generation) return;
    alertEl.textContent = e.message;
    statusEl.textContent = '';
  } finally {
    moreBtn.disabled = false;
    if (mine === generation) finished();
  }
}

// ---- Position --------------------------------------------------------------------------------

function usePosition() {
  setError('punkt', null, [fields.lat, fields.lon]);
  statusEl.textContent = 'Finder din position …';
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      // About 100 m is precise enough for "nearest first" and keeps the link from pinpointing a home.
      const round = (x) => Math.round(x * 1000) / 1000;
      fields.lat.value = coordFormat.format(round(pos.coords.latitude));
      fields.lon.value = coordFormat.format(round(pos.coords.longitude));
      if (fields.kommune.value.trim()) {
        form.requestSubmit();
      } else {
        statusEl.textContent = 'Din position er indsat. Vælg en kommune, og tryk på Søg.';
        fields.kommune.focus();
      }
    },
    (err) => {
      statusEl.textContent = '';
      const why = err.code === err.PERMISSION_DENIED
        ? 'Du har ikke givet lov til at bruge din position.'
        : 'Din position kunne ikke findes.';
      setError('punkt', `${why} Du kan skrive breddegrad og længdegrad i stedet.`, [fields.lat, fields.lon]);
      fields.lat.focus();
    },
    { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 },
  );
}

// ---- Wiring ----------------------------------------------------------------------------------

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const search = stateFromForm();
  if (search) run(search, 'push');
});

moreBtn.addEventListener('click', more);

$('ryd-punkt').addEventListener('click', () => {
  fields.lat.value = '';
  fields.lon.value = '';
  setError('punkt', null, [fields.lat, fields.lon]);
  fields.lat.focus();
});

if ('geolocation' in navigator) {
  positionBtn.hidden = false;
  positionBtn.addEventListener('click', usePosition);
}

window.addEventListener('popstate', () => {
  const s = stateFromUrl();
  fillForm(s);
  if (s.kommune) {
    run(s, 'none');
  } else {
    generation++;
    inflight?.abort();
    current = null;
    hitsEl.replaceChildren();
    moreBtn.hidden = true;
    clearErrors();
    statusEl.textContent = 'Vælg en kommune, og tryk på Søg.';
    finished();
  }
});

const initial = stateFromUrl();
fillForm(initial);
loadKommuner();
if (initial.kommune) run(initial, 'replace');
