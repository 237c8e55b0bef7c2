// The administrator's pages: the kommuner's CVR numbers, the ældretilsyn's areas (R32) and the
// audit log (paged).
import { ApiError, download, gql } from './api.js';
import {
  ROLE_LABEL, changesTable, checkGroup, field, fmtTime, focus, h, replace, select, setFieldErrors, showError, status,
} from './dom.js';

const KOMMUNER = `query Kommuner { kommuner { kode navn officieltNavn region cvr } }`;
const SET_CVR = `mutation SetKommuneCvr($kode: String!, $cvr: String!) { setKommuneCvr(kode: $kode, cvr: $cvr) { kode navn region cvr } }`;
const AUDIT = `query Log($entityType: String, $entityId: String, $person: String, $about: String, $from: Date, $to: Date, $after: String) {
  auditLog(entityType: $entityType, entityId: $entityId, person: $person, about: $about, from: $from, to: $to, first: 25, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id at actorSubject actorName actorCvr actorRoles action entityType entityId elementNavn
      changes { field label before after } }
  }
}`;

function fail(e, app, form) {
  if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') return app.expired(e);
  if (form) setFieldErrors(form, e.fields ?? {});
  showError(e);
  const bad = form?.querySelector('[aria-invalid="true"]');
  if (bad) focus(bad);
}

export async function renderKommuner(main, app) {
  let kommuner = (await gql(KOMMUNER)).kommuner;
  const kode = select(kommuner.map((k) => [k.kode, `${k.navn} (${k.kode})`]), kommuner[0]?.kode, { id: 'kommune-kode', 'data-field': 'kode' });
  const cvr = h('input', { id: 'kommune-cvr', type: 'text', inputmode: 'numeric', maxlength: '8', autocomplete: 'off' });
  const fill = () => { cvr.value = kommuner.find((k) => k.kode === kode.value)?.cvr ?? ''; };
  kode.addEventListener('change', fill);
  fill();
  const tbody = h('tbody');
  const rows = () => replace(tbody, kommuner.map((k) => h('tr', {},
    h('td', {}, k.kode), h('th', { scope: 'row' }, k.navn), h('td', {}, k.region), h('td', {}, k.cvr))));
  rows();
  const form = h('form', { class: 'filters', 'aria-labelledby': 'kommune-form-titel', novalidate: true },
    h('h2', { id: 'kommune-form-titel', class: 'wide' }, 'Ret en kommunes CVR-nummer'),
    field({ label: 'Kommune', control: kode, name: 'kode' }),
    field({ label: 'CVR-nummer', control: cvr, name: 'cvr', help: '8 cifre. Kommunens driftsoverenskomstansvarlige logger ind med dette CVR-nummer.' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Gem CVR-nummer')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const k = (await gql(SET_CVR, { kode: kode.value, cvr: cvr.value.trim() })).setKommuneCvr;
      kommuner = kommuner.map((x) => (x.kode === k.kode ? k : x));
      rows();
      setFieldErrors(form, {});
      status(`${k.officieltNavn}s CVR-nummer er nu ${k.cvr}.`);
    } catch (e) {
      fail(e, app, form);
    }
  });
  main.replaceChildren(
    h('h1', { id: 'side-titel', tabindex: '-1' }, 'Kommuner'),
    h('p', { class: 'lead' }, 'Kommunernes CVR-numre afgør, hvilke serviceleverancer en driftsoverenskomstansvarlig ser.'),
    form,
    h('table', { class: 'table' }, h('caption', {}, 'Alle 98 kommuner'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Kode'), h('th', { scope: 'col' }, 'Navn'), h('th', { scope: 'col' }, 'Region'), h('th', { scope: 'col' }, 'CVR-nummer'))),
      tbody));
}

const REGIONER = `query Regioner { kommuner { kode navn officieltNavn region } }`;
const AREA_OF = `query OmraadeFor($cvr: String!) { tilsynOmraade(cvr: $cvr) }`;
const SET_AREA = `mutation SaetOmraade($cvr: String!, $kommuner: [String!]!) { setTilsynOmraade(cvr: $cvr, kommuner: $kommuner) }`;

/** R32: which kommuner an ældretilsyn (by its CVR number) covers. The administrator gives the
 * CVR number, fetches the area it has, checks the kommuner and saves the whole list. */
export async function renderAeldretilsyn(main, app) {
  const kommuner = (await gql(REGIONER)).kommuner;
  const byKode = new Map(kommuner.map((k) => [k.kode, k]));
  // R24's order: case aside, æ, ø, å after z ("Aabenraa" under A, as the list of kommuner has it).
  const key = (t) => [...t.toLowerCase()].map((c) => ({ æ: '{', ø: '|', å: '}' }[c] ?? c)).join('');
  const byName = (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const regions = [...new Set(kommuner.map((k) => k.region))].sort(byName);
  const cvr = h('input', { id: 'tilsyn-cvr', type: 'text', inputmode: 'numeric', maxlength: '8', autocomplete: 'off' });
  const groups = regions.map((r) => checkGroup({
    id: `omraade-${r.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    legend: r,
    options: Object.fromEntries(kommuner.filter((k) => k.region === r)
      .sort((a, b) => byName(a.navn, b.navn)).map((k) => [k.kode, k.navn])),
    value: [],
    wide: false,
  }));
  const boxes = groups.flatMap((g) => g.boxes);
  const chosen = () => groups.flatMap((g) => g.read()).sort();
  const kommuneErr = h('p', { class: 'field-error', id: 'tilsyn-kommuner-fejl', hidden: true });
  // The list of kommuner carries the API's `kommuner` errors (by data-field, see setFieldErrors).
  const kommunerBox = h('fieldset', { class: 'checks wide', id: 'tilsyn-kommuner', 'data-field': 'kommuner', 'aria-describedby': 'tilsyn-kommuner-hjaelp tilsyn-kommuner-fejl' },
    h('legend', {}, 'Kommuner'),
    h('p', { class: 'help', id: 'tilsyn-kommuner-hjaelp' }, 'Sæt kryds ved de kommuner, ældretilsynet fører tilsyn i. Listen gemmes som en helhed: kommuner uden kryds tages fra tilsynet.'),
    h('div', { class: 'region-list' }, groups.map((g) => g.node)),
    kommuneErr);
  const result = h('section', { class: 'card', id: 'omraade-resultat', 'aria-labelledby': 'omraade-resultat-titel', hidden: true });
  const names = (koder) => koder.map((k) => byKode.get(k)).filter(Boolean);

  function show(forCvr, koder) {
    for (const b of boxes) b.checked = koder.includes(b.value);
    const list = names(koder);
    result.hidden = false;
    replace(result,
      h('h2', { id: 'omraade-resultat-titel' }, `Område for CVR-nummer ${forCvr}`),
      list.length
        ? h('ul', { id: 'omraade-liste' }, list.map((k) => h('li', {}, `${k.officieltNavn} (${k.kode})`)))
        : h('p', { id: 'omraade-liste' }, 'Ældretilsynet er ikke tildelt nogen kommuner.'));
  }

  async function fetchArea() {
    const v = cvr.value.trim();
    if (!/^[0-9]{8}$/.test(v)) {
      fail(new ApiError([{ message: 'CVR-nummeret skal være 8 cifre.', extensions: { code: 'VALIDATION', fields: ['cvr'] } }]), app, form);
      return null;
    }
    const koder = (await gql(AREA_OF, { cvr: v })).tilsynOmraade;
    setFieldErrors(form, {});
    show(v, koder);
    return koder;
  }

  const form = h('form', { class: 'card', 'aria-labelledby': 'omraade-form-titel', novalidate: true },
    h('h2', { id: 'omraade-form-titel' }, 'Tildel et ældretilsyn dets kommuner'),
    h('div', { class: 'compare' },
      field({ label: 'Ældretilsynets CVR-nummer', control: cvr, name: 'cvr', help: '8 cifre. Ældretilsynet logger ind med dette CVR-nummer.' }),
      h('button', { type: 'button', class: 'secondary', id: 'omraade-hent', onclick: async () => {
        try {
          const koder = await fetchArea();
          if (koder) status(`Ældretilsynet med CVR-nummer ${cvr.value.trim()} er tildelt ${koder.length} ${koder.length === 1 ? 'kommune' : 'kommuner'}.`);
        } catch (e) {
          fail(e, app, form);
        }
      } }, 'Hent området')),
    kommunerBox,
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'omraade-gem' }, 'Gem området')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const koder = (await gql(SET_AREA, { cvr: cvr.value.trim(), kommuner: chosen() })).setTilsynOmraade;
      setFieldErrors(form, {});
      show(cvr.value.trim(), koder);
      status(koder.length
        ? `Ældretilsynet med CVR-nummer ${cvr.value.trim()} fører nu tilsyn i ${koder.length} ${koder.length === 1 ? 'kommune' : 'kommuner'}: ${names(koder).map((k) => k.navn).join(', ')}.`
        : `Ældretilsynet med CVR-nummer ${cvr.value.trim()} er ikke længere tildelt nogen kommuner.`);
    } catch (e) {
      fail(e, app, form);
    }
  });
  main.replaceChildren(
    h('h1', { id: 'side-titel', tabindex: '-1' }, 'Ældretilsyn'),
    h('p', { class: 'lead' }, 'Et ældretilsyn logger ind med sit CVR-nummer og registrerer tilsyn, påbud og forbud for enhederne i de kommuner, du tildeler det her.'),
    form, result);
}

const ACTION_LABEL = {
  createServiceleverance: 'Oprettede serviceleverance',
  lockServiceleverance: 'Låste serviceleverance',
  takeOverServiceleveranceLock: 'Overtog lås',
  updateServiceleverance: 'Gemte serviceleverance',
  setBeskrivelse: 'Skrev beskrivelse',
  checkInServiceleverance: 'Tjekkede ind',
  deleteServiceleverance: 'Slettede serviceleverance',
  restoreServiceleveranceVersion: 'Gendannede version',
  forceUnlockServiceleverance: 'Frigav lås',
  setKommuneCvr: 'Rettede kommunens CVR-nummer',
  createEnhed: 'Oprettede enhed',
  updateEnhed: 'Gemte enhed',
  lockEnhed: 'Låste enhed',
  takeOverEnhedLock: 'Overtog lås på enhed',
  checkInEnhed: 'Tjekkede enhed ind',
  seedServiceleverance: 'Indlæste demodata',
  pruneAuditLog: 'Slettede gamle loghændelser',
  uploadFoto: 'Tilføjede billede',
  updateFotos: 'Rettede billeder',
  setTilsynOmraade: 'Tildelte ældretilsyn kommuner',
  registerTilsyn: 'Registrerede tilsyn',
  givePaabudForbud: 'Gav påbud eller forbud',
  liftPaabudForbud: 'Ophævede påbud eller forbud',
};

const ENTITY_LABEL = { Serviceleverance: 'Serviceleverance', Enhed: 'Enhed', Kommune: 'Kommune', AuditLog: 'Loggen', Aeldretilsyn: 'Ældretilsyn' };

function elementLink(a) {
  const name = a.elementNavn ?? a.entityId;
  if (a.entityType === 'Serviceleverance') return h('a', { href: `#/sl/${encodeURIComponent(a.entityId)}` }, name);
  if (a.entityType === 'Enhed') return h('a', { href: `#/enhed/${encodeURIComponent(a.entityId)}` }, name);
  return name;
}

/** The log (R16, R34): by element, person (by name) and days; each entry names its element and
 * shows what changed; the filter downloads as CSV or JSON; one person's extract is a click. */
export async function renderAudit(main, app) {
  const entityType = select([['', 'Alle'], ['Serviceleverance', 'Serviceleverance'], ['Enhed', 'Enhed'], ['Kommune', 'Kommune'], ['Aeldretilsyn', 'Ældretilsyn'], ['AuditLog', 'Loggen']], '', { id: 'log-type' });
  const entityId = h('input', { id: 'log-id', type: 'text', autocomplete: 'off' });
  const person = h('input', { id: 'log-person', type: 'search', autocomplete: 'off', maxlength: '200' });
  const from = h('input', { id: 'log-fra', type: 'date', 'data-field': 'from' });
  const to = h('input', { id: 'log-til', type: 'date', 'data-field': 'to' });
  const tbody = h('tbody', { id: 'log-raekker' });
  const info = h('p', { class: 'count', id: 'log-info' });
  const extract = h('div', { id: 'log-udtraek' });
  const pager = h('div', { class: 'actions' });
  const cursors = [null]; // the `after` of each page seen
  let filter = {};

  function query() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    return q.toString();
  }

  async function load(n) {
    const data = (await gql(AUDIT, { ...filter, after: cursors[n] })).auditLog;
    cursors[n + 1] = data.pageInfo.endCursor;
    const pages = Math.max(1, Math.ceil(data.totalCount / 25));
    replace(info, `Side ${n + 1} af ${pages} · ${data.totalCount} hændelser, nyeste først.`);
    replace(tbody, data.nodes.map((a) => h('tr', {},
      h('td', {}, fmtTime(a.at)),
      h('td', {}, a.actorName ?? a.actorSubject, h('br'), h('span', { class: 'meta' },
        [a.actorCvr ? `CVR ${a.actorCvr}` : null, a.actorRoles.split(',').filter(Boolean).map((r) => ROLE_LABEL[r] ?? r).join(', ')].filter(Boolean).join(' · ')),
      h('br'), h('button', { type: 'button', class: 'link', onclick: () => showExtract(a.actorSubject, a.actorName ?? a.actorSubject) },
        `Udtræk for ${a.actorName ?? a.actorSubject}`)),
      h('td', {}, ACTION_LABEL[a.action] ?? a.action),
      h('td', {}, elementLink(a), h('br'), h('span', { class: 'meta' }, ENTITY_LABEL[a.entityType] ?? a.entityType)),
      h('td', {}, a.changes.length
        ? h('details', {}, h('summary', {}, `${a.changes.length} ${a.changes.length === 1 ? 'felt' : 'felter'}`), changesTable(a.changes))
        : '–'))));
    replace(pager,
      h('button', { type: 'button', class: 'secondary', disabled: n === 0, onclick: () => go(n - 1) }, 'Forrige side'),
      h('button', { type: 'button', class: 'secondary', disabled: !data.pageInfo.hasNextPage, onclick: () => go(n + 1) }, 'Næste side'));
  }
  async function go(n) {
    try {
      await load(n);
      setFieldErrors(form, {});
      status(info.textContent);
      focus(info);
    } catch (e) {
      fail(e, app, form);
    }
  }
  /** Datatilsynet's practice: a person may see the log entries about them. */
  async function showExtract(subject, name) {
    filter = { about: subject };
    cursors.length = 1;
    replace(extract, h('p', { class: 'notice' }, `Udtræk for ${name}: alt, ${name} har gjort, og låse, andre har overtaget fra ${name}. `,
      h('button', { type: 'button', class: 'link', onclick: () => { replace(extract); form.requestSubmit(); } }, 'Tilbage til filteret')));
    await go(0);
  }
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filtrér loggen', novalidate: true },
    field({ label: 'Person', control: person, help: 'Navn eller en del af det, fx »soren« for Søren.' }),
    field({ label: 'Elementtype', control: entityType }),
    field({ label: 'Elementets id', control: entityId, help: 'Fx en serviceleverances id.' }),
    field({ label: 'Fra dato', control: from, name: 'from' }),
    field({ label: 'Til dato', control: to, name: 'to' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Vis')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replace(extract);
    filter = {
      person: person.value.trim() || null, entityType: entityType.value || null, entityId: entityId.value.trim() || null,
      from: from.value || null, to: to.value || null,
    };
    cursors.length = 1;
    await go(0);
  });
  const exporter = (kind) => async (ev) => {
    try {
      const q = query();
      const name = await download(`/export/log.${kind}${q ? `?${q}` : ''}`);
      status(`Loggen er hentet som ${name}.`);
    } catch (e) {
      fail(e, app, form);
      focus(ev.target);
    }
  };
  await load(0);
  main.replaceChildren(
    h('h1', { id: 'side-titel', tabindex: '-1' }, 'Log'),
    h('p', { class: 'lead' }, 'Alle ændringer: hvem, hvad, hvornår og hvilke felter der ændrede sig.'),
    form, extract,
    h('div', { class: 'title-row' }, info, h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', id: 'log-csv', onclick: exporter('csv') }, 'Hent som CSV'),
      h('button', { type: 'button', class: 'secondary', id: 'log-json', onclick: exporter('json') }, 'Hent som JSON'))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' }, h('caption', { class: 'sr-only' }, 'Loghændelser'),
      h('thead', {}, h('tr', {}, ['Tidspunkt', 'Hvem', 'Handling', 'Element', 'Ændringer'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)),
    pager);
}
