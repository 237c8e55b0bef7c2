// The citizen search at /soeg: the public GraphQL API only (anonymous `kommuner`, `steder` and
// `search`, POST to /graphql), no token, no other host. The URL is the state of a search
// (?kommune=Roskilde&type=plejebolig&dato=2026-12-01&lat=55.64&lon=12.08, or &sted=4000 for a
// postnummer or town instead of a point, and &demens=1&par=1&dyr=1&udenpaabud=1&husleje=10000
// for the filters), so a search can be linked and the browser's back button works. Everything
// shown is set with textContent, never as HTML. Served from /assets under the page's Content-Security-Policy (no inline script).

const PAGE_SIZE = 20;

const SEARCH = `query Soeg($kommune: String!, $kind: SearchKind, $date: Date, $near: PunktInput, $first: Int, $after: String,
    $demensvenlig: Boolean, $parboliger: Boolean, $dyr: Boolean, $udenPaabudForbud: Boolean, $maxHusleje: Int, $facets: Boolean!) {
  search(kommune: $kommune, kind: $kind, date: $date, near: $near, first: $first, after: $after,
      demensvenlig: $demensvenlig, parboliger: $parboliger, dyr: $dyr, udenPaabudForbud: $udenPaabudForbud, maxHusleje: $maxHusleje) {
    totalCount
    kommuneKode
    dato
    pageInfo { hasNextPage endCursor }
    facets @include(if: $facets) { egenskab { value count } husleje { value count } }
    edges {
      distanceKm
      node {
        id enhedId navn kind boligtype antalBoliger placering { lat lon }
        adresse { vejnavn postnummer by }
        kommune { kode navn officieltNavn }
        kontakt { telefon email web }
        profil { huslejeTekst parboliger demens dyr ydelser }
        tilsyn { seneste { dato vurdering } paabudForbud { type tekst givet } }
      }
      serviceleverance { type typeNavn typeForklaring beskrivelse startdato slutdato }
    }
  }
}`;

const KOMMUNER = 'query Kommuner { kommuner { kode navn officieltNavn } }';
const STEDER = 'query Steder($tekst: String!) { steder(tekst: $tekst) { postnummer navn punkt { lat lon } kommune { kode navn } } }';

const KINDS = {
  plejebolig: { api: 'PLEJEENHED', one: 'sted med plejeboliger', many: 'steder med plejeboliger', title: 'Plejeboliger' },
  helhedspleje: { api: 'HELHEDSPLEJEENHED', one: 'leverandør af helhedspleje', many: 'leverandører af helhedspleje', title: 'Helhedspleje' },
};

const BOLIGTYPER = {
  PLEJEBOLIG: 'Plejebolig',
  FRIPLEJEBOLIG: 'Friplejebolig',
  LOKALPLEJEHJEM: 'Lokalplejehjem',
};

/** The checkboxes under "Vis kun" (#f-<key>): URL parameter, search argument, and whether only
 * plejeboliger have it (R31; påbud and forbud, R32, concern both kinds). Their facet values
 * are in the page (data-facet). */
const FILTERS = [
  { key: 'demens', arg: 'demensvenlig', plejebolig: true },
  { key: 'par', arg: 'parboliger', plejebolig: true },
  { key: 'dyr', arg: 'dyr', plejebolig: true },
  { key: 'udenpaabud', arg: 'udenPaabudForbud', plejebolig: false },
];
/** The choices of "Højst husleje" (kr. a month), the thresholds of the API's husleje facet. */
const HUSLEJE = [6000, 8000, 10000, 12000, 15000];

const YDELSER = {
  PERSONLIG_PLEJE: 'personlig pleje',
  PRAKTISK_HJAELP: 'praktisk hjælp',
  MADSERVICE: 'madservice',
  TRAENING: 'træning og rehabilitering',
  SYGEPLEJE: 'sygepleje',
  NATTEPLEJE: 'pleje om natten',
};

const $ = (id) => document.getElementById(id);
const form = $('soegning');
const fields = {
  kommune: $('kommune'),
  dato: $('dato'),
  sted: $('sted'),
  lat: $('lat'),
  lon: $('lon'),
  husleje: $('f-husleje'),
};
const errors = {
  kommune: $('kommune-fejl'),
  dato: $('dato-fejl'),
  sted: $('sted-fejl'),
  punkt: $('punkt-fejl'),
};
const filterBoxes = Object.fromEntries(FILTERS.map((f) => [f.key, $(`f-${f.key}`)]));
const stedValgEl = $('sted-valg');
const stedValgtEl = $('sted-valgt');
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

const listFormat = new Intl.ListFormat('da', { style: 'long', type: 'conjunction' });
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

/**
 * The search the URL asks for: { kommune, type, dato, near, sted, filters }. `sted` (a
 * postnummer or town) wins over lat/lon: its point becomes `near` once `steder` has found it.
 * A search runs when the URL names a kommune or a sted.
 */
function stateFromUrl() {
  const q = new URLSearchParams(location.search);
  const kommune = (q.get('kommune') ?? '').trim();
  const type = q.get('type') === 'helhedspleje' ? 'helhedspleje' : 'plejebolig';
  const dato = /^\d{4}-\d{2}-\d{2}$/.test(q.get('dato') ?? '') ? q.get('dato') : '';
  const sted = (q.get('sted') ?? '').trim().slice(0, 100);
  const lat = parseCoord(q.get('lat'));
  const lon = parseCoord(q.get('lon'));
  const near = !sted && Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : null;
  const filters = Object.fromEntries(FILTERS.map((f) => [f.key, q.get(f.key) === '1']));
  const husleje = Number(q.get('husleje'));
  filters.husleje = HUSLEJE.includes(husleje) ? husleje : null;
  return { kommune, type, dato, near, sted, filters };
}

/** The filters that apply to a kind of search (plejebolig-only ones are dropped for helhedspleje). */
function activeFilters(s) {
  const f = s.filters ?? {};
  const out = {};
  for (const { key, plejebolig } of FILTERS) if (f[key] && (!plejebolig || s.type === 'plejebolig')) out[key] = true;
  if (f.husleje && s.type === 'plejebolig') out.husleje = f.husleje;
  return out;
}

function urlOf(s) {
  const q = new URLSearchParams();
  if (s.kommune) q.set('kommune', s.kommune);
  q.set('type', s.type);
  if (s.dato) q.set('dato', s.dato);
  if (s.sted) {
    q.set('sted', s.sted);
  } else if (s.near) {
    q.set('lat', String(s.near.lat));
    q.set('lon', String(s.near.lon));
  }
  for (const [k, v] of Object.entries(activeFilters(s))) q.set(k, v === true ? '1' : String(v));
  return `${location.pathname}?${q}`;
}

function fillForm(s) {
  fields.kommune.value = s.kommune;
  form.elements.type.value = s.type;
  fields.dato.value = s.dato || today();
  fields.sted.value = s.sted;
  fields.lat.value = s.near ? coordFormat.format(s.near.lat) : '';
  fields.lon.value = s.near ? coordFormat.format(s.near.lon) : '';
  pointSource = s.sted ? 'sted' : 'punkt';
  for (const { key } of FILTERS) filterBoxes[key].checked = Boolean(s.filters?.[key]);
  fields.husleje.value = s.filters?.husleje ? String(s.filters.husleje) : '';
  showKindFilters();
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
  setError('sted', null, [fields.sted]);
  setError('punkt', null, [fields.lat, fields.lon]);
  showChoices(null);
  alertEl.textContent = '';
}

/** Which of the two ways to give a point the citizen used last: 'sted' or 'punkt'. When both
 * fields hold something at Søg, the last one edited counts and the other is cleared. */
let pointSource = 'punkt';
/** The kommune the page filled in from a place (the citizen left the field empty): another place
 * replaces it, a kommune the citizen typed stays. */
let kommuneFromPlace = null;

/** The search the form asks for, or null (with the errors shown and focus on the first). */
function stateFromForm() {
  clearErrors();
  let first = null;
  let sted = fields.sted.value.trim().replace(/\s+/g, ' ');
  const hasPoint = fields.lat.value.trim() || fields.lon.value.trim();
  if (sted && hasPoint) {
    if (pointSource === 'punkt') {
      sted = '';
      fields.sted.value = '';
      showPlace(null);
    } else {
      fields.lat.value = '';
      fields.lon.value = '';
    }
  }
  // The place shown ("4000 Roskilde") is its postnummer (one history entry per search).
  if (sted && sted === current?.search.stedNavn) sted = current.search.sted;
  let kommune = fields.kommune.value.trim();
  if (sted && kommuneFromPlace !== null && kommune === kommuneFromPlace) kommune = '';
  if (!kommune && !sted) {
    setError('kommune', 'Vælg en kommune, eller skriv et postnummer eller en by under Nærmeste først.', [fields.kommune]);
    first ??= fields.kommune;
  }
  const dato = fields.dato.value;
  if (fields.dato.validity.badInput || (dato && !/^\d{4}-\d{2}-\d{2}$/.test(dato))) {
    setError('dato', 'Angiv en gyldig dato.', [fields.dato]);
    first ??= fields.dato;
  }
  if (sted.length > 100) {
    setError('sted', 'Skriv et postnummer eller et bynavn på højst 100 tegn.', [fields.sted]);
    first ??= fields.sted;
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
  const filters = Object.fromEntries(FILTERS.map((f) => [f.key, filterBoxes[f.key].checked]));
  filters.husleje = HUSLEJE.includes(Number(fields.husleje.value)) ? Number(fields.husleje.value) : null;
  // Today is the default day: a link without a date always means "today".
  return { kommune, type, dato: dato && dato !== today() ? dato : '', near: sted ? null : near, sted, filters };
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

// ---- Places: a postnummer or town as the point of "nearest first" ------------------------------

/** steder(tekst) per text, asked once (small answers; not aborted, so a later search can reuse them). */
const stedCache = new Map();
function findSted(tekst) {
  const key = tekst.toLowerCase();
  let found = stedCache.get(key);
  if (!found) {
    found = graphql(STEDER, { tekst }).then((d) => d.steder);
    stedCache.set(key, found);
    found.catch(() => stedCache.delete(key));
  }
  return found;
}

/** A name compared loosely: case, accents, æ/ae, ø/oe, å/aa, "Kgs." and punctuation aside. */
function fold(s) {
  return String(s ?? '').toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .replace(/æ|ae/g, 'e').replace(/ø|oe/g, 'o').replace(/å|aa/g, 'a')
    .replace(/\bkgs\b/g, 'kongens')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The place a text clearly means: the only one found, the one with the postnummer typed, or
 * the only one with exactly the name typed ("Ronne" is Rønne, not Rønnede). Else null. */
function clearSted(tekst, found) {
  if (found.length === 1) return found[0];
  const pn = /^\d{4}(?!\d)/.exec(tekst)?.[0];
  const byNumber = pn ? found.find((st) => st.postnummer === pn) : undefined;
  if (byNumber) return byNumber;
  const t = fold(tekst);
  const same = found.filter((st) => fold(st.navn) === t || fold(`${st.postnummer} ${st.navn}`) === t);
  return same.length === 1 ? same[0] : null;
}

const kommuneOf = (k) => (k ? kommuneOfficielt.get(k.kode) ?? `${k.navn} Kommune` : '');

/** "Mente du …?": the places a text may mean, as links to the same search from each (null hides). */
function showChoices(found, search) {
  if (!found) {
    stedValgEl.hidden = true;
    stedValgEl.replaceChildren();
    return;
  }
  const items = found.map((st) => {
    const a = el('a', { href: urlOf({ ...search, sted: st.postnummer, near: null }) }, `${st.postnummer} ${st.navn}`);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      fields.sted.value = `${st.postnummer} ${st.navn}`;
      pointSource = 'sted';
      fields.sted.focus();
      form.requestSubmit();
    });
    return el('li', {}, a, st.kommune ? el('span', { class: 'note' }, ` i ${kommuneOf(st.kommune)}`) : null);
  });
  stedValgEl.replaceChildren(
    el('p', { class: 'sted-valg-spoergsmaal' }, `Flere steder passer på »${search.sted}«. Mente du …?`),
    el('ul', {}, ...items));
  stedValgEl.hidden = false;
}

/** Under the field: the place the distances are measured from, and its kommune when the search
 * is another's. */
function showPlace(search, kommuneKode) {
  if (!search?.stedNavn) {
    stedValgtEl.hidden = true;
    stedValgtEl.textContent = '';
    return;
  }
  let t = `Afstanden måles fra ${search.stedNavn}.`;
  if (search.stedKommune && search.stedKommune.kode !== kommuneKode) {
    t += ` Stedet ligger i ${kommuneOf(search.stedKommune)}; du ser ${kommuneOfficielt.get(kommuneKode) ?? 'den valgte kommune'}s tilbud.`;
  }
  stedValgtEl.textContent = t;
  stedValgtEl.hidden = false;
}

// ---- Filters: "Vis kun" with the count of each choice from the search shown -------------------

/** Shows the plejebolig-only filters for plejeboliger, and says why they are gone for helhedspleje. */
function showKindFilters() {
  const helhed = form.elements.type.value === 'helhedspleje';
  for (const e of form.querySelectorAll('.kun-plejebolig')) e.hidden = helhed;
  $('filtre-helhedspleje').hidden = !helhed;
  showCounts();
}

/** Each choice's count, "(3)": the hits the search shown would have with it (its facets). None
 * before a search, or when the form asks for the other kind than the one shown. */
function showCounts() {
  const type = form.elements.type.value === 'helhedspleje' ? 'helhedspleje' : 'plejebolig';
  const facets = current?.facets && current.search.type === type ? current.facets : null;
  const egenskab = new Map((facets?.egenskab ?? []).map((c) => [c.value, c.count]));
  for (const span of form.querySelectorAll('.count[data-facet]')) {
    const n = egenskab.get(span.dataset.facet);
    span.textContent = n === undefined ? '' : ` (${countFormat.format(n)})`;
  }
  const husleje = new Map((facets?.husleje ?? []).map((c) => [Number(c.value), c.count]));
  for (const o of fields.husleje.options) {
    o.dataset.label ??= o.textContent;
    const n = o.value ? husleje.get(Number(o.value)) : undefined;
    o.textContent = n === undefined ? o.dataset.label : `${o.dataset.label} (${countFormat.format(n)})`;
  }
}

/** The filters of a search in words, as the form says them. */
function filtersInWords(search) {
  const f = activeFilters(search);
  const words = FILTERS.filter((x) => f[x.key]).map((x) => $(`f-${x.key}`).labels[0].firstChild.textContent.trim().toLowerCase());
  if (f.husleje) words.push(`husleje højst ${countFormat.format(f.husleje)} kr. om måneden`);
  return words.length ? listFormat.format(words) : '';
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

/** The search's address for the pages it links to; a place's point also as lat/lon (those pages
 * measure distances from lat/lon). */
function linkQuery(searched) {
  const q = new URLSearchParams(location.search);
  const s = searched?.search;
  if (s?.sted && s.near) {
    q.set('lat', String(s.near.lat));
    q.set('lon', String(s.near.lon));
  }
  return q;
}

/** The enhed's own page with the search's kommune, day and point (its link back to the list
 * keeps them). */
function detailsHref(n, searched) {
  const q = linkQuery(searched);
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
  // R31: what the redaktør has told citizens (the enhed's page has the rest, and the photos).
  const profil = n.profil ?? {};
  if (n.kind === 'PLEJEENHED' && profil.huslejeTekst) facts.append(fact('Husleje', profil.huslejeTekst));
  if (n.kind === 'HELHEDSPLEJEENHED' && profil.ydelser?.length) {
    const ydelser = listFormat.format(profil.ydelser.map((y) => YDELSER[y] ?? y));
    facts.append(fact('Ydelser', ydelser.charAt(0).toUpperCase() + ydelser.slice(1)));
  }
  // R32: the latest tilsyn (its summary and report are on the enhed's page).
  const seneste = n.tilsyn?.seneste;
  if (seneste) facts.append(fact('Seneste tilsyn', `${formatDay(seneste.dato)} – ${seneste.vurdering}`));
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

  const article = el('article', { class: 'hit', 'aria-labelledby': id }, head);
  // A påbud or forbud in force on the search's day, in words (not only by colour).
  for (const pf of n.tilsyn?.paabudForbud ?? []) {
    const what = pf.type === 'FORBUD' ? 'Forbud' : pf.type === 'PAABUD' ? 'Påbud' : 'Påbud eller forbud';
    article.append(el('p', { class: 'sanktion' },
      el('strong', {}, `${what} fra ældretilsynet:`), ` ${pf.tekst}`,
      pf.givet ? el('span', { class: 'note' }, ` (givet ${formatDay(pf.givet)})`) : null));
  }
  article.append(facts);
  const badges = [];
  if (n.kind === 'PLEJEENHED') {
    if (profil.demens === 'DEMENSVENLIG') badges.push('Demensvenlig');
    else if (profil.demens === 'DEMENSAFSNIT') badges.push('Demensafsnit');
    if (profil.parboliger > 0) badges.push('Boliger til par');
    if (profil.dyr === 'EGNE') badges.push('Eget dyr kan komme med');
    else if (profil.dyr === 'FAELLES') badges.push('Dyr på stedet');
  }
  if (badges.length) article.append(el('ul', { class: 'badges', 'aria-label': 'Kendetegn' }, ...badges.map((b) => el('li', {}, b))));
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
  const q = linkQuery(current);
  if (current) q.set('kommune', current.kommuneKode);
  for (const id of chosen.keys()) q.append('enhed', id);
  const names = [...chosen.values()].join(', ');
  // replaceChildren writes a null as the text "null": the note is added only when it applies.
  compareBar.replaceChildren(
    chosen.size < 2
      ? `Valgt til sammenligning: ${names}. Vælg én til.`
      : el('a', { href: `/soeg/sammenlign?${q}`, class: 'button-primary' }, `Sammenlign ${chosen.size}: ${names}`),
    ...(full ? [el('span', { class: 'note' }, ` Du kan sammenligne højst ${COMPARE_MAX} ad gangen.`)] : []));
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
  const filters = filtersInWords(search);
  const from = search.stedNavn ? `, nærmeste først fra ${search.stedNavn}` : search.near ? ', nærmeste først' : '';
  let s = total === 0
    ? `${navn} har ingen ${kind.many} ${day}${filters ? ' med dine valg under Vis kun' : ''}.`
    : `${navn}: ${what} ${day}${from}.`;
  if (filters) s += ` Vis kun: ${filters}.`;
  if (total > 0 && shown < total) s += ` Viser ${countFormat.format(shown)} af ${countFormat.format(total)}.`;
  return s;
}

// ---- Searching -------------------------------------------------------------------------------

function variables(search, after, facets = false) {
  const f = activeFilters(search);
  return {
    kommune: search.kommune,
    kind: KINDS[search.type].api,
    date: search.dato || null,
    near: search.near,
    first: PAGE_SIZE,
    after: after ?? null,
    ...Object.fromEntries(FILTERS.map((x) => [x.arg, f[x.key] ?? null])),
    maxHusleje: f.husleje ?? null,
    facets,
  };
}

/** No list: no hits, map, frit valg, chosen hits, place or counts. */
function clearResults() {
  current = null;
  hitsEl.replaceChildren();
  mapEl.hidden = true;
  fritValgEl.hidden = true;
  chosen.clear();
  updateCompare();
  showPlace(null);
  showCounts();
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
  let derived = false;
  try {
    if (search.sted) {
      // A postnummer or town: its point is the search's `near`, its kommune the search's when
      // none is given. Several → "Mente du …?"; none → an error at the field.
      const [found] = await Promise.all([findSted(search.sted), loadKommuner()]);
      if (mine !== generation) return;
      const place = clearSted(search.sted, found);
      if (!place || (!search.kommune && !place.kommune)) {
        clearResults();
        if (found.length === 0) {
          setError('sted', `Vi kender ikke postnummeret eller byen »${search.sted}«. Skriv et postnummer med fire cifre, fx 4000, eller navnet på en by, fx Roskilde.`, [fields.sted]);
          statusEl.textContent = 'Ingen resultater.';
        } else if (!place) {
          showChoices(found, search);
          statusEl.textContent = 'Vælg et af stederne under feltet Postnummer eller by.';
        } else {
          setError('kommune', `Vælg den kommune, du vil se tilbud i. Vi ved ikke, hvilken kommune ${place.postnummer} ${place.navn} ligger i.`, [fields.kommune]);
          statusEl.textContent = 'Ingen resultater.';
        }
        (found.length && place ? fields.kommune : fields.sted).focus();
        return;
      }
      derived = !search.kommune;
      search = {
        ...search,
        kommune: search.kommune || place.kommune.navn,
        sted: place.postnummer,
        stedNavn: `${place.postnummer} ${place.navn}`,
        stedKommune: place.kommune,
        near: { lat: place.punkt.lat, lon: place.punkt.lon },
      };
      fields.sted.value = search.stedNavn;
      fields.lat.value = '';
      fields.lon.value = '';
    }
    const [data] = await Promise.all([graphql(SEARCH, variables(search, null, true), inflight.signal), loadKommuner()]);
    if (mine !== generation) return;
    const result = data.search;
    // The kommune by its name as the API knows it ("Kobenhavn" → "København").
    const canonical = kommuneNavn.get(result.kommuneKode);
    if (canonical) {
      search = { ...search, kommune: canonical };
      fields.kommune.value = canonical;
    }
    if (how !== 'none') history.replaceState(null, '', urlOf(search));
    kommuneFromPlace = derived ? fields.kommune.value : null;
    fields.dato.value = result.dato;
    current = { search, kommuneKode: result.kommuneKode, dato: result.dato, cursor: result.pageInfo.endCursor, shown: result.edges.length, total: result.totalCount, facets: result.facets ?? null };
    showPlace(search, result.kommuneKode);
    showCounts();
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
    clearResults();
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
  // The position replaces a postnummer or town.
  fields.sted.value = '';
  setError('sted', null, [fields.sted]);
  showChoices(null);
  showPlace(null);
  pointSource = 'punkt';
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
  fields.sted.value = '';
  showPlace(null);
  fields.lat.value = '';
  fields.lon.value = '';
  setError('sted', null, [fields.sted]);
  setError('punkt', null, [fields.lat, fields.lon]);
  showChoices(null);
  fields.sted.focus();
});

fields.sted.addEventListener('input', () => { pointSource = 'sted'; });
fields.lat.addEventListener('input', () => { pointSource = 'punkt'; });
fields.lon.addEventListener('input', () => { pointSource = 'punkt'; });
fields.kommune.addEventListener('input', () => { kommuneFromPlace = null; });
for (const radio of form.elements.type) radio.addEventListener('change', showKindFilters);

if ('geolocation' in navigator) {
  positionBtn.hidden = false;
  positionBtn.addEventListener('click', usePosition);
}

window.addEventListener('popstate', () => {
  const s = stateFromUrl();
  fillForm(s);
  if (s.kommune || s.sted) {
    run(s, 'none');
  } else {
    generation++;
    inflight?.abort();
    clearResults();
    moreBtn.hidden = true;
    clearErrors();
    statusEl.textContent = 'Vælg en kommune, eller skriv et postnummer eller en by, og tryk på Søg.';
    finished();
  }
});

const initial = stateFromUrl();
fillForm(initial);
loadKommuner();
if (initial.kommune || initial.sted) run(initial, 'replace');
