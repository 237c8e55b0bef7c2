// Enheder: a redaktør's own (description and contact data), an administrator's search, create
// and edit of every field. Editing holds the enhed's lock (lockEnhed, updateEnhed, checkInEnhed).
import { ApiError, gql } from './api.js';
import {
  BOLIGTYPE_LABEL, KIND_LABEL, clearMessages, field, fmtTime, focus, h, lockLost, lockText, replace, select, setFieldErrors,
  showError, status,
} from './dom.js';

const ENHED_FIELDS = `id enhedId revision kind navn ejerCvr sorKode demo
  adresse { vejnavn postnummer by } placering { lat lon } kommune { kode navn officieltNavn }
  boligtype antalBoliger beskrivelse kontakt { telefon email web }
  laas { subject navn since until editingNow lastSeen }`;

const MINE = `query MineEnheder { viewer { enheder { ${ENHED_FIELDS} } } }`;
const FIND = `query FindEnheder($text: String!, $kind: EnhedKind) { findEnheder(text: $text, kind: $kind, first: 50) { ${ENHED_FIELDS} } }`;
const ONE = `query Enhed($id: String!) { enhed(id: $id) { ${ENHED_FIELDS} } }`;
const LOCK = `mutation LaasEnhed($id: String!) { lockEnhed(id: $id) { ${ENHED_FIELDS} } }`;
const TAKE_OVER = `mutation OvertagEnhedslaas($id: String!) { takeOverEnhedLock(id: $id) { ${ENHED_FIELDS} } }`;
const UPDATE = `mutation GemEnhed($id: String!, $input: EnhedInput!, $rev: Int) { updateEnhed(id: $id, input: $input, expectedRevision: $rev) { ${ENHED_FIELDS} } }`;
const CHECK_IN = `mutation TjekEnhedInd($id: String!) { checkInEnhed(id: $id) { ${ENHED_FIELDS} } }`;
const CREATE = `mutation OpretEnhed($input: EnhedInput!) { createEnhed(input: $input) { ${ENHED_FIELDS} } }`;

/** The fields of EnhedInput: [name, label, kind of control, help]; `register` fields are the administrator's. */
const FIELDS = [
  ['kind', 'Enhedstype', 'kind', null, true],
  ['navn', 'Navn', 'text', null, true],
  ['ejerCvr', 'Ejerens CVR-nummer', 'cvr', '8 cifre.', true],
  ['sorKode', 'SOR-kode', 'text', null, true],
  ['vejnavn', 'Vejnavn og nummer', 'text', null, true],
  ['postnummer', 'Postnummer', 'postnr', null, true],
  ['by', 'By', 'text', null, true],
  ['lat', 'Breddegrad', 'number', 'WGS84, fx 55.6415. Angiv bredde- og længdegrad sammen; kommunen findes ud fra placeringen.', true],
  ['lon', 'Længdegrad', 'number', 'WGS84, fx 12.0803.', true],
  ['kommuneKode', 'Kommunekode', 'text', 'Bruges kun, når placeringen mangler eller ligger uden for kendte kommunegrænser.', true],
  ['boligtype', 'Boligtype', 'boligtype', 'Kun for plejeenheder.', true],
  ['antalBoliger', 'Antal boliger', 'int', 'Kun for plejeenheder.', true],
  ['beskrivelse', 'Beskrivelse af enhedens ydelser', 'textarea', null, false],
  ['telefon', 'Telefon', 'tel', '8-15 cifre, evt. med + foran.', false],
  ['email', 'E-mail', 'email', null, false],
  ['web', 'Hjemmeside', 'url', 'En fuld adresse, fx https://eksempel.dk.', false],
];

function current(e, name) {
  if (!e) return null;
  switch (name) {
    case 'vejnavn': case 'postnummer': case 'by': return e.adresse?.[name] ?? null;
    case 'lat': case 'lon': return e.placering?.[name] ?? null;
    case 'kommuneKode': return e.kommune?.kode ?? null;
    case 'telefon': case 'email': case 'web': return e.kontakt?.[name] ?? null;
    default: return e[name] ?? null;
  }
}

function control(name, kind, value, readOnly) {
  const id = `enhed-${name}`;
  const v = value === null || value === undefined ? '' : String(value);
  switch (kind) {
    case 'kind':
      return select([['', '— vælg —'], ...Object.entries(KIND_LABEL)], v, { id, disabled: readOnly });
    case 'boligtype':
      return select([['', '— ingen —'], ...Object.entries(BOLIGTYPE_LABEL)], v, { id, disabled: readOnly });
    case 'textarea':
      return h('textarea', { id, rows: '5', maxlength: '4000', readOnly }, v);
    case 'number':
      return h('input', { id, type: 'text', inputmode: 'decimal', value: v, readOnly });
    case 'int':
      return h('input', { id, type: 'number', min: '0', step: '1', value: v, readOnly });
    case 'cvr':
      return h('input', { id, type: 'text', inputmode: 'numeric', maxlength: '8', value: v, readOnly });
    case 'postnr':
      return h('input', { id, type: 'text', inputmode: 'numeric', maxlength: '4', value: v, readOnly });
    case 'tel':
      return h('input', { id, type: 'tel', autocomplete: 'off', value: v, readOnly });
    case 'email':
      return h('input', { id, type: 'email', autocomplete: 'off', value: v, readOnly });
    case 'url':
      return h('input', { id, type: 'url', autocomplete: 'off', value: v, readOnly });
    default:
      return h('input', { id, type: 'text', value: v, readOnly });
  }
}

function parse(kind, raw) {
  const t = raw.trim();
  if (t === '') return null;
  if (kind === 'number') return Number(t.replace(',', '.'));
  if (kind === 'int') return Number.parseInt(t, 10);
  return t;
}

function reportError(e, app, form, onReload) {
  if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') return app.expired(e);
  if (form) setFieldErrors(form, e.fields ?? {});
  const extra = e instanceof ApiError && e.code === 'CONFLICT' && onReload
    ? [h('button', { type: 'button', onclick: () => { clearMessages(); onReload(); } }, 'Hent den nyeste udgave')] : [];
  showError(e, ...extra);
  const bad = form?.querySelector('[aria-invalid="true"]');
  if (bad) focus(bad);
}

function enhedItem(e) {
  const place = [e.adresse?.vejnavn, [e.adresse?.postnummer, e.adresse?.by].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return h('li', { class: 'sl-item' },
    h('div', { class: 'sl-head' }, h('a', { href: `#/enhed/${encodeURIComponent(e.enhedId)}` }, e.navn),
      e.laas ? h('span', { class: 'badge lock' }, `Låst af ${e.laas.navn ?? e.laas.subject}`) : null),
    h('p', { class: 'meta' }, [KIND_LABEL[e.kind], place, e.kommune ? e.kommune.officieltNavn : null, `CVR ${e.ejerCvr}`].filter(Boolean).join(' · ')));
}

// ---------------------------------------------------------------------------------------------

let lastSearch = { text: '', kind: '' };

const POINTING = `query AftalerOmEnhed($enhed: String!) {
  serviceleverancer(enhed: $enhed, first: 100) { totalCount nodes { id navn isPublic type startdato slutdato } }
}`;

/** The guide's content tree for a kommune: "de enheder, som hører under samme CVR-nummer", each
 * with the kommune's serviceleverancer that point at it (loaded when unfolded). */
function enhedWithAgreements(e, app) {
  const list = h('div', {});
  const details = h('details', { class: 'group' },
    h('summary', {}, 'Serviceleverancer om enheden'), list);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    replace(list, h('p', {}, 'Henter …'));
    try {
      const d = (await gql(POINTING, { enhed: e.enhedId })).serviceleverancer;
      replace(list, d.totalCount === 0
        ? h('p', {}, 'Ingen af kommunens serviceleverancer peger på enheden.')
        : h('ul', { class: 'work-items' }, d.nodes.map((sl) => h('li', {},
          h('a', { href: `#/sl/${encodeURIComponent(sl.id)}` }, sl.navn),
          sl.isPublic ? ' – vises offentligt' : ' – vises ikke offentligt'))));
    } catch (err) {
      loaded = false;
      reportError(err, app);
    }
  });
  const item = enhedItem(e);
  item.appendChild(details);
  return item;
}

export async function renderEnhedList(main, app) {
  if (!app.isAdmin) {
    const enheder = (await gql(MINE)).viewer.enheder;
    const kommune = app.isKommune && app.viewer.kommune && !app.isRedaktoer;
    main.replaceChildren(
      h('h1', { id: 'side-titel', tabindex: '-1' }, kommune ? 'Kommunens enheder' : 'Mine enheder'),
      h('p', { class: 'lead' }, kommune
        ? `De enheder, der hører under ${app.viewer.kommune.officieltNavn}s CVR-nummer, og kommunens serviceleverancer om hver af dem.`
        : 'Din organisations enheder. Du kan rette den generelle beskrivelse og kontaktoplysningerne; resten vedligeholdes af administratorerne.'),
      enheder.length
        ? h('ul', { class: 'sl-list', id: 'enheder-traee' }, enheder.map((e) => (kommune ? enhedWithAgreements(e, app) : enhedItem(e))))
        : h('p', {}, `${kommune ? 'Kommunen' : 'Din organisation'} (CVR ${app.viewer.cvr}) ejer ingen enheder.`));
    return;
  }
  const text = h('input', { id: 'enhed-soeg', type: 'search', value: lastSearch.text, maxlength: '200' });
  const kind = select([['', 'Alle enheder'], ['PLEJEENHED', 'Plejeenheder'], ['HELHEDSPLEJEENHED', 'Helhedsplejeenheder']], lastSearch.kind, { id: 'enhed-soeg-type' });
  const results = h('div', { id: 'enhed-resultater' });
  const count = h('p', { class: 'count' });
  async function search() {
    lastSearch = { text: text.value.trim(), kind: kind.value };
    if (lastSearch.text.length < 2) {
      replace(count, 'Skriv mindst to tegn af navnet.');
      results.replaceChildren();
      return;
    }
    const found = (await gql(FIND, { text: lastSearch.text, kind: lastSearch.kind || null })).findEnheder;
    replace(count, `${found.length === 50 ? 'Mindst 50' : found.length} ${found.length === 1 ? 'enhed' : 'enheder'} fundet.`);
    replace(results, found.length ? h('ul', { class: 'sl-list' }, found.map(enhedItem)) : null);
  }
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Søg enheder' },
    field({ label: 'Navn (del af navnet)', control: text, help: 'Store og små bogstaver og æ/ae, ø/oe, å/aa er ligegyldige.' }),
    field({ label: 'Enhedstype', control: kind }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Søg')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await search();
      status(count.textContent);
    } catch (e) {
      reportError(e, app, form);
    }
  });
  main.replaceChildren(
    h('div', { class: 'title-row' }, h('h1', { id: 'side-titel', tabindex: '-1' }, 'Enheder'),
      h('a', { class: 'button', href: '#/enhed/ny' }, 'Opret enhed')),
    h('p', { class: 'lead' }, 'Plejeenheder og helhedsplejeenheder. Søg en enhed frem for at rette den.'),
    form, count, results);
  if (lastSearch.text) await search();
}

// ---------------------------------------------------------------------------------------------

export async function renderEnhed(main, app, id) {
  if (id === 'ny') {
    if (!app.isAdmin) throw new ApiError([{ message: 'Kun administratorer kan oprette enheder.' }]);
    renderForm(main, app, null);
    return;
  }
  const e = (await gql(ONE, { id })).enhed;
  if (!e) throw new ApiError([{ message: 'Enheden findes ikke.', extensions: { code: 'NOT_FOUND' } }]);
  renderForm(main, app, e);
}

function renderForm(main, app, e, focusId) {
  const creating = e === null;
  const mine = Boolean(e?.laas && e.laas.subject === app.viewer.subject);
  const mayEdit = app.isAdmin || (app.isRedaktoer && e?.ejerCvr === app.viewer.cvr);
  const editing = creating || mine;
  const controls = {};
  const fields = FIELDS.filter(([, , , , register]) => app.isAdmin || !register).map(([name, label, kind, help]) => {
    const c = control(name, kind, current(e, name), !editing);
    controls[name] = { el: c, kind };
    return field({ label, control: c, name, help, wide: kind === 'textarea' });
  });
  const register = !app.isAdmin && e ? h('dl', { class: 'facts' },
    h('dt', {}, 'Enhedstype'), h('dd', {}, KIND_LABEL[e.kind]),
    h('dt', {}, 'Adresse'), h('dd', {}, [e.adresse?.vejnavn, [e.adresse?.postnummer, e.adresse?.by].filter(Boolean).join(' ')].filter(Boolean).join(', ') || '–'),
    h('dt', {}, 'Kommune'), h('dd', {}, e.kommune ? e.kommune.officieltNavn : '–'),
    h('dt', {}, 'Ejerens CVR-nummer'), h('dd', {}, e.ejerCvr),
    e.boligtype ? [h('dt', {}, 'Boligtype'), h('dd', {}, BOLIGTYPE_LABEL[e.boligtype])] : null,
    e.antalBoliger != null ? [h('dt', {}, 'Antal boliger'), h('dd', {}, String(e.antalBoliger))] : null) : null;

  const form = h('form', { class: 'card', 'aria-labelledby': 'enhed-felter-titel', novalidate: true },
    h('h2', { id: 'enhed-felter-titel' }, creating ? 'Ny enhed' : editing ? 'Rediger enheden' : 'Oplysninger'),
    register ? [register, h('p', { class: 'help' }, 'Oplysningerne ovenfor vedligeholdes af administratorerne.')] : null,
    h('div', { class: 'grid' }, fields));

  function input() {
    const out = {};
    for (const [name, { el, kind }] of Object.entries(controls)) {
      const v = parse(kind, el.value);
      const before = current(e, name);
      if (creating ? v !== null : v !== (before === undefined ? null : before)) out[name] = v;
    }
    return out;
  }

  if (editing && !creating) app.guardUnsaved(() => Object.keys(input()).length > 0);
  // R28: the heartbeat renews the lock while the form is open; a refusal means it is gone.
  app.keepAlive(mine ? async () => {
    try {
      await gql(LOCK, { id: e.enhedId });
    } catch (err) {
      if (!(err instanceof ApiError) || !['LOCKED', 'NOT_FOUND', 'FORBIDDEN'].includes(err.code)) return;
      app.keepAlive(null);
      lockLost(err, ['enhed-gem', 'enhed-tjek-ind']);
    }
  } : null);

  const reload = async (fid) => {
    const fresh = (await gql(ONE, { id: e.enhedId })).enhed;
    renderForm(main, app, fresh, fid);
  };

  async function save({ quiet = false } = {}) {
    const changed = input();
    if (!Object.keys(changed).length) {
      if (!quiet) status('Der er ingen ændringer at gemme.');
      return e;
    }
    try {
      const saved = (await gql(UPDATE, { id: e.enhedId, input: changed, rev: e.revision })).updateEnhed;
      if (!quiet) {
        renderForm(main, app, saved, 'enhed-gem');
        status(`Enheden er gemt og publiceret kl. ${fmtTime(new Date().toISOString()).split(' kl. ')[1]}.`);
      }
      return saved;
    } catch (err) {
      reportError(err, app, form, () => reload('side-titel'));
      return null;
    }
  }

  const buttons = [];
  if (creating) {
    buttons.push(h('button', { type: 'submit', id: 'enhed-opret' }, 'Opret enhed'));
  } else if (mine) {
    buttons.push(
      h('button', { type: 'submit', id: 'enhed-gem' }, 'Gem'),
      h('button', { type: 'button', class: 'secondary', id: 'enhed-tjek-ind', onclick: async () => {
        const saved = await save({ quiet: true });
        if (!saved) return;
        try {
          const done = (await gql(CHECK_IN, { id: e.enhedId })).checkInEnhed;
          renderForm(main, app, done, 'enhed-laas-knap');
          status('Enheden er tjekket ind, og låsen er frigivet.');
        } catch (err) {
          reportError(err, app, form);
        }
      } }, 'Tjek ind'));
  } else if (mayEdit && !e.laas) {
    buttons.push(h('button', { type: 'button', id: 'enhed-laas-knap', onclick: async () => {
      try {
        const locked = (await gql(LOCK, { id: e.enhedId })).lockEnhed;
        const first = app.isAdmin ? 'enhed-kind' : 'enhed-beskrivelse';
        renderForm(main, app, locked, first);
        status(`Enheden er låst til dig indtil ${fmtTime(locked.laas?.until)}.`);
      } catch (err) {
        reportError(err, app, form);
      }
    } }, 'Lås og rediger'));
  } else if (mayEdit && e.laas) {
    buttons.push(h('button', { type: 'button', class: 'secondary', id: 'enhed-overtag', onclick: async () => {
      try {
        const locked = (await gql(TAKE_OVER, { id: e.enhedId })).takeOverEnhedLock;
        renderForm(main, app, locked, 'enhed-beskrivelse');
        status('Du har overtaget låsen.');
      } catch (err) {
        reportError(err, app, form);
      }
    } }, 'Overtag lås'));
  }
  form.append(h('div', { class: 'actions' }, buttons));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (creating) {
      try {
        const made = (await gql(CREATE, { input: input() })).createEnhed;
        app.go(`#/enhed/${encodeURIComponent(made.enhedId)}`);
        status(`Enheden »${made.navn}« er oprettet.`);
      } catch (err) {
        reportError(err, app, form);
      }
    } else if (mine) {
      await save();
    }
  });

  const lockInfo = e ? lockText(e.laas, app.viewer) : null;
  main.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Brødkrumme' }, h('ol', {},
      h('li', {}, h('a', { href: '#/enheder' }, app.isAdmin ? 'Enheder' : 'Mine enheder')),
      h('li', { 'aria-current': 'page' }, creating ? 'Ny enhed' : e.navn))),
    h('h1', { id: 'side-titel', tabindex: '-1' }, creating ? 'Opret enhed' : e.navn),
    e ? h('p', { class: 'lead', id: 'enhed-laas' }, lockInfo, e.demo ? ' Enheden er fiktiv demodata.' : '') : null,
    form);
  if (focusId) focus(document.getElementById(focusId));
}
