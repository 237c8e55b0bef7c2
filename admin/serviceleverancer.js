// Serviceleverancer: the list grouped under the aftalepart (the guide's content tree), and one
// agreement with its status, issues, lock, fields, live issue preview, save, check-in, version
// history, restore and delete. Every change sends `expectedRevision`, so two tabs cannot
// overwrite each other (CONFLICT).
import { ApiError, download, gql } from './api.js';
import {
  KIND_LABEL, TYPE_LABEL, changesTable, choose, clearMessages, confirmAction, field, fmtDate, fmtTime, focus, h, lockLost,
  lockText, modal, nextId, replace, select, setFieldErrors, showError, status,
} from './dom.js';
import { enhedPicker } from './picker.js';

const SL_FIELDS = `
  id navn revision version versionCount aftaleidentifikation type beskrivelse startdato slutdato
  isPublic notPublicReason updatedAt deletedAt
  aftalepart { kode navn officieltNavn }
  enhed { id enhedId navn kind ejerCvr adresse { vejnavn postnummer by } kommune { navn officieltNavn } }
  laas { subject navn since until editingNow lastSeen }
  issues { field severity code message }`;

const LIST = `query Serviceleverancer($aftalepart: String, $kind: EnhedKind, $type: ServiceleveranceType,
    $activeOn: Date, $hasErrors: Boolean, $locked: Boolean, $text: String, $after: String, $first: Int) {
  serviceleverancer(aftalepart: $aftalepart, kind: $kind, type: $type, activeOn: $activeOn,
      hasErrors: $hasErrors, locked: $locked, text: $text, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    aftaleparter { kommune { kode navn officieltNavn } count }
    nodes { ${SL_FIELDS} }
  }
}`;

/** The locks the viewer may hold (filtered to the viewer's own by the caller). */
export const MY_LOCKS = `query MineLaase { serviceleverancer(locked: true, first: 100) { nodes { id navn revision laas { subject } } } }`;
/** Check-in alone, for leaving: what is saved becomes the version; nothing unsaved is sent. */
export const CHECK_IN_ONLY = `mutation TjekIndFoerLogUd($id: ID!, $rev: Int) { checkInServiceleverance(id: $id, expectedRevision: $rev) { id version } }`;
const WORK_COUNTS = `query Arbejdsliste { worklist(first: 0) { total groups { kind title count } } }`;

const ONE = `query Serviceleverance($id: ID!) {
  serviceleverance(id: $id) {
    ${SL_FIELDS}
    versions { nummer author authorName createdAt kommentar
      snapshot { navn enhedId aftaleidentifikation type beskrivelse startdato slutdato } }
  }
}`;

const KOMMUNER = `query Kommuner { kommuner { kode navn officieltNavn } }`;
const COMPARE = `query Sammenlign($id: ID!, $from: Int!, $to: Int) { compareVersions(id: $id, from: $from, to: $to) { field label before after } }`;
const RESTORE_PREVIEW = `query GendanFoer($id: ID!, $nummer: Int!) { restorePreview(id: $id, nummer: $nummer) { field label before after } }`;

const m = (name, args, call) => `mutation ${name}(${args}) { ${call} { ${SL_FIELDS} } }`;
const CREATE = m('Opret', '$input: CreateServiceleveranceInput!', 'createServiceleverance(input: $input)');
const LOCK = m('Laas', '$id: ID!', 'lockServiceleverance(id: $id)');
const TAKE_OVER = m('OvertagLaas', '$id: ID!', 'takeOverServiceleveranceLock(id: $id)');
const FORCE_UNLOCK = m('FrigivLaas', '$id: ID!', 'forceUnlockServiceleverance(id: $id)');
const UPDATE = m('Gem', '$id: ID!, $input: UpdateServiceleveranceInput!, $rev: Int',
  'updateServiceleverance(id: $id, input: $input, expectedRevision: $rev)');
const SET_BESKRIVELSE = m('GemBeskrivelse', '$id: ID!, $beskrivelse: String, $rev: Int',
  'setBeskrivelse(id: $id, beskrivelse: $beskrivelse, expectedRevision: $rev)');
const CHECK_IN = m('TjekInd', '$id: ID!, $kommentar: String, $rev: Int',
  'checkInServiceleverance(id: $id, kommentar: $kommentar, expectedRevision: $rev)');
const RESTORE = m('Gendan', '$id: ID!, $nummer: Int!, $rev: Int',
  'restoreServiceleveranceVersion(id: $id, nummer: $nummer, expectedRevision: $rev)');
const DELETE = `mutation Slet($id: ID!, $rev: Int) { deleteServiceleverance(id: $id, expectedRevision: $rev) }`;
const PREVIEW = `query Forhaandsvis($id: ID, $enhedId: String, $type: ServiceleveranceType, $startdato: Date, $slutdato: Date) {
  previewIssues(id: $id, enhedId: $enhedId, type: $type, startdato: $startdato, slutdato: $slutdato) { field severity code message }
}`;

const UNCHOSEN = 'Vælg enheden på listen under feltet (pil ned og Enter), eller tøm feltet, hvis enheden skal vælges senere.';

let kommunerCache = null;
async function kommuner() {
  kommunerCache ??= (await gql(KOMMUNER)).kommuner;
  return kommunerCache;
}

// ---------------------------------------------------------------------------------------------
// Shared bits


function issueList(issues, { empty = 'Ingen fejl eller advarsler.' } = {}) {
  if (!issues.length) return h('p', { class: 'ok-text' }, empty);
  return h('ul', { class: 'issues' }, issues.map((i) => h('li', { class: i.severity === 'ERROR' ? 'issue error' : 'issue warning' },
    h('strong', {}, i.severity === 'ERROR' ? 'Fejl: ' : 'Advarsel: '), i.message)));
}

function publicBadge(sl) {
  return sl.isPublic
    ? h('span', { class: 'badge ok' }, 'Offentlig')
    : h('span', { class: 'badge off' }, 'Ikke offentlig');
}

function period(sl) {
  if (!sl.startdato) return 'Ingen startdato';
  return sl.slutdato ? `${fmtDate(sl.startdato)} – ${fmtDate(sl.slutdato)}` : `Fra ${fmtDate(sl.startdato)}`;
}

/** Shows an API error: its message in the alert region, field errors next to the fields. */
function reportError(e, app, { form, onReload } = {}) {
  if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') return app.expired(e);
  if (form) setFieldErrors(form, e.fields ?? {});
  const extra = [];
  if (e instanceof ApiError && e.code === 'CONFLICT' && onReload) {
    // The alert is about the old copy: it goes with it.
    extra.push(h('button', { type: 'button', onclick: () => { clearMessages(); onReload(); } }, 'Hent den nyeste udgave'));
  }
  showError(e, ...extra);
  const bad = form?.querySelector('[aria-invalid="true"]');
  if (bad) focus(bad);
}

// ---------------------------------------------------------------------------------------------
// The list

const filters = { text: '', type: '', kind: '', errors: '', locked: '', activeOn: '', aftalepart: '' };
// The filters' names in the address (`#/?tekst=...`): a reload or a shared link keeps them
// (issue 20, defect 7).
const FILTER_PARAMS = { text: 'tekst', type: 'type', kind: 'art', errors: 'fejl', locked: 'laas', activeOn: 'dato', aftalepart: 'aftalepart' };

function filterHash() {
  const q = new URLSearchParams();
  for (const [k, name] of Object.entries(FILTER_PARAMS)) if (filters[k]) q.set(name, filters[k]);
  const text = q.toString();
  return text ? `#/?${text}` : '#/';
}

/** The list's variables for the current filters. */
function listVars() {
  return {
    text: filters.text || null,
    type: filters.type || null,
    kind: filters.kind || null,
    hasErrors: filters.errors === '' ? null : filters.errors === 'true',
    locked: filters.locked === '' ? null : filters.locked === 'true',
    activeOn: filters.activeOn || null,
    aftalepart: filters.aftalepart || null,
  };
}

export async function renderSlList(main, app, params = new URLSearchParams()) {
  const v = app.viewer;
  if ([...params.keys()].length) {
    for (const [k, name] of Object.entries(FILTER_PARAMS)) filters[k] = params.get(name) ?? '';
  }
  // A driftsoverenskomstansvarlig whose CVR is no kommune's has nothing to see here; the
  // guide (4.1.1) sends them to the organisation's SEB brugeradministrator.
  const noKommune = app.isKommune && !v.kommune && !app.isAdmin;
  const intro = app.isAdmin
    ? 'Alle kommuners serviceleverancer, ordnet under aftaleparten. Fold en kommune ud for at se dens serviceleverancer.'
    : app.isKommune && v.kommune
      ? `Serviceleverancer med ${v.kommune.officieltNavn} som aftalepart. Aftaleparten kan ikke ændres.`
      : noKommune && !app.isRedaktoer
        ? `Du er logget ind som driftsoverenskomstansvarlig, men CVR-nummeret ${v.cvr ?? ''} tilhører ingen kommune, så der er ingen serviceleverancer at vise. Bed din organisations SEB-brugeradministrator om at give dig rollen med din kommunes CVR-nummer.`
        : 'Serviceleverancer om din organisations enheder. Du skriver beskrivelsen af aftalen, hvor den gælder (driftsoverenskomst med en helhedsplejeenhed).';

  const text = h('input', { id: 'filter-tekst', type: 'search', value: filters.text, maxlength: '200' });
  const type = select([['', 'Alle typer'], ...Object.entries(TYPE_LABEL)], filters.type, { id: 'filter-type' });
  const kind = select([['', 'Alle enheder'], ['PLEJEENHED', 'Plejeenheder'], ['HELHEDSPLEJEENHED', 'Helhedsplejeenheder']], filters.kind, { id: 'filter-kind' });
  const errors = select([['', 'Alle'], ['true', 'Med fejl (ikke offentlige)'], ['false', 'Uden fejl']], filters.errors, { id: 'filter-fejl' });
  const locked = select([['', 'Alle'], ['true', 'Låste'], ['false', 'Ikke låste']], filters.locked, { id: 'filter-laas' });
  const activeOn = h('input', { id: 'filter-dato', type: 'date', value: filters.activeOn });
  const aftalepart = app.isAdmin
    ? select([['', 'Alle aftaleparter'], ...(await kommuner()).map((k) => [k.kode, `${k.navn} (${k.kode})`])], filters.aftalepart, { id: 'filter-aftalepart' })
    : null;

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filtrér serviceleverancer' },
    field({ label: 'Navn eller aftaleidentifikation', control: text, help: 'Ord i vilkårlig rækkefølge.' }),
    aftalepart ? field({ label: 'Aftalepart', control: aftalepart }) : null,
    field({ label: 'Type', control: type }),
    field({ label: 'Enhedstype', control: kind }),
    field({ label: 'Fejl', control: errors }),
    field({ label: 'Lås', control: locked }),
    field({ label: 'Aktiv på dato', control: activeOn }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Søg'),
      h('button', { type: 'button', class: 'secondary', onclick: () => {
        Object.keys(filters).forEach((k) => { filters[k] = ''; });
        app.replaceHash('#/');
        renderSlList(main, app).then(() => focus(document.getElementById('side-titel')));
      } }, 'Nulstil')));

  const summary = h('p', { class: 'count', id: 'sl-antal' });
  const tree = h('div', { class: 'tree', id: 'sl-traee' });

  async function load() {
    const data = (await gql(LIST, { ...listVars(), first: 50 })).serviceleverancer;
    const groups = data.aftaleparter;
    if (!data.totalCount) {
      replace(summary, 'Ingen serviceleverancer passer til filtrene.');
      replace(tree);
      return data;
    }
    if (groups.length > 1) {
      // Every kommune with its whole count, in name order; its agreements load when it is
      // unfolded (issue 20, defect 7).
      replace(summary, `${data.totalCount} serviceleverancer hos ${groups.length} aftaleparter.`);
      replace(tree, groups.map((g) => groupEl(g, app, null)));
    } else {
      replace(summary, `${data.totalCount} ${data.totalCount === 1 ? 'serviceleverance' : 'serviceleverancer'}.`);
      replace(tree, groupEl(groups[0], app, data));
    }
    return data;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    Object.assign(filters, {
      text: text.value.trim(), type: type.value, kind: kind.value, errors: errors.value,
      locked: locked.value, activeOn: activeOn.value, aftalepart: aftalepart?.value ?? '',
    });
    app.replaceHash(filterHash());
    try {
      const d = await load();
      status(`Fandt ${d.totalCount} serviceleverancer.`);
    } catch (e) {
      reportError(e, app, { form });
    }
  });

  const create = (app.isKommune && !noKommune) || app.isAdmin
    ? h('button', { type: 'button', id: 'opret', onclick: (ev) => openCreate(ev.currentTarget, app) }, 'Opret serviceleverance')
    : null;
  const exportButton = h('button', { type: 'button', class: 'secondary', id: 'hent-csv', onclick: async (ev) => {
    try {
      await download('/export/serviceleverancer.csv');
      status('Serviceleverancerne er hentet som CSV-fil.');
    } catch (e) {
      reportError(e, app);
      focus(ev.target);
    }
  } }, 'Hent som CSV');

  await load();
  main.replaceChildren(
    h('div', { class: 'title-row' }, h('h1', { id: 'side-titel', tabindex: '-1' }, 'Serviceleverancer'), create),
    h('p', { class: 'lead' }, intro),
    await notices(app),
    form, h('div', { class: 'title-row' }, summary, exportButton), tree);
}

/** What the start page tells at once: the locks one still holds (from an earlier day or
 * another tab) and what the worklist asks (issue 20). */
async function notices(app) {
  let mine = [];
  let work = null;
  try {
    const [locks, w] = await Promise.all([gql(MY_LOCKS), gql(WORK_COUNTS)]);
    mine = locks.serviceleverancer.nodes.filter((sl) => sl.laas?.subject === app.viewer.subject);
    work = w.worklist;
  } catch {
    return null; // the list itself is what matters here
  }
  const parts = [];
  if (mine.length) {
    parts.push(h('section', { class: 'notice', id: 'mine-laase', 'aria-labelledby': 'mine-laase-titel' },
      h('h2', { id: 'mine-laase-titel' }, `Du har ${mine.length} ${mine.length === 1 ? 'låst serviceleverance' : 'låste serviceleverancer'}`),
      h('p', {}, 'Tjek dem ind, når du er færdig, så dine kolleger kan rette i dem.'),
      h('ul', {}, mine.map((sl) => h('li', {}, h('a', { href: `#/sl/${encodeURIComponent(sl.id)}` }, sl.navn))))));
  }
  const due = work?.groups.filter((g) => g.count > 0) ?? [];
  if (due.length) {
    parts.push(h('section', { class: 'notice', id: 'kraever-handling', 'aria-labelledby': 'kraever-handling-titel' },
      h('h2', { id: 'kraever-handling-titel' }, h('a', { href: '#/handling' }, `Kræver handling (${work.total})`)),
      h('ul', { class: 'worklist-summary' }, due.map((g) => h('li', {}, `${g.title}: ${g.count}`)))));
  }
  return parts.length ? h('div', {}, parts) : null;
}

/** One aftalepart of the tree with its whole count; its agreements are `initial` (one group
 * shown open) or load when it is unfolded, 50 at a time. */
function groupEl(g, app, initial) {
  const list = h('ul', { class: 'sl-list' });
  const more = h('div', { class: 'actions' });
  const shown = h('p', { class: 'count' });
  let items = null;
  const name = g?.kommune?.officieltNavn ?? 'Ukendt aftalepart';
  const count = g?.count ?? initial?.totalCount ?? 0;
  const details = h('details', { class: 'group', open: Boolean(initial) },
    h('summary', {}, h('span', { class: 'group-name' }, name),
      h('span', { class: 'group-count' }, ` (aftalepart) – ${count} ${count === 1 ? 'serviceleverance' : 'serviceleverancer'}`)),
    shown, list, more);
  function show(page) {
    replace(list, items.map((sl) => slItem(sl, app)));
    replace(shown, items.length < count ? `Viser ${items.length} af ${count}.` : '');
    replace(more, page.pageInfo.hasNextPage
      ? h('button', { type: 'button', class: 'secondary', onclick: async (ev) => {
        const next = items.length;
        try {
          await load(page.pageInfo.endCursor);
          focus(list.querySelectorAll('.sl-item a')[next]);
        } catch (e) {
          reportError(e, app);
          focus(ev.target);
        }
      } }, `Vis flere fra ${name}`)
      : null);
  }
  async function load(after) {
    const page = (await gql(LIST, { ...listVars(), aftalepart: g?.kommune?.kode ?? null, first: 50, after: after ?? null })).serviceleverancer;
    items = after ? items.concat(page.nodes) : page.nodes;
    show(page);
  }
  if (initial) {
    items = initial.nodes;
    show(initial);
  }
  details.addEventListener('toggle', () => {
    if (details.open && items === null) {
      replace(shown, 'Henter …');
      load().catch((e) => reportError(e, app));
    }
  });
  return details;
}

function slItem(sl, app) {
  const errors = sl.issues.filter((i) => i.severity === 'ERROR');
  const warnings = sl.issues.filter((i) => i.severity === 'WARNING');
  const meta = [
    sl.enhed ? `${sl.enhed.navn} (${KIND_LABEL[sl.enhed.kind]})` : 'Ingen enhed',
    sl.type ? TYPE_LABEL[sl.type] : 'Ingen type',
    period(sl),
  ];
  return h('li', { class: 'sl-item' },
    h('div', { class: 'sl-head' }, h('a', { href: `#/sl/${encodeURIComponent(sl.id)}` }, sl.navn), publicBadge(sl),
      sl.laas ? h('span', { class: 'badge lock' }, sl.laas.subject === app.viewer.subject ? 'Låst af dig' : `Låst af ${sl.laas.navn ?? sl.laas.subject}`) : null),
    h('p', { class: 'meta' }, meta.join(' · ')),
    sl.isPublic ? null : h('p', { class: 'meta why' }, `Ikke offentlig: ${sl.notPublicReason}`),
    errors.length || warnings.length
      ? h('p', { class: 'meta' }, [
        errors.length ? `${errors.length} ${errors.length === 1 ? 'fejl' : 'fejl'}` : null,
        warnings.length ? `${warnings.length} ${warnings.length === 1 ? 'advarsel' : 'advarsler'}` : null,
      ].filter(Boolean).join(', '))
      : null,
    sl.laas ? h('p', { class: 'meta' }, lockText(sl.laas, app.viewer)) : null);
}

async function openCreate(opener, app) {
  const navn = h('input', { type: 'text', required: true, maxlength: '200', autocomplete: 'off' });
  const picker = enhedPicker({ label: 'Enhed (kan også vælges senere)', onError: (e) => reportError(e, app) });
  const aftalepart = app.isAdmin
    ? select([['', '— vælg kommune —'], ...(await kommuner()).map((k) => [k.kode, `${k.navn} (${k.kode})`])], '', { 'data-field': 'aftalepartKode' })
    : null;
  const form = h('form', { novalidate: true },
    field({ label: 'Navn', control: navn, name: 'navn', help: 'Giv serviceleverancen et beskrivende navn; æ, ø og å er tilladt.' }),
    aftalepart ? field({ label: 'Aftalepart', control: aftalepart, name: 'aftalepartKode' }) : null,
    picker.el,
    h('p', { class: 'help' }, 'Serviceleverancen oprettes som version 1 og er ikke låst. Lås den derefter for at udfylde type og datoer.'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Opret'),
      h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Annuller')));
  const dlg = modal({ title: 'Ny serviceleverance', body: form, opener });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!navn.value.trim()) {
      setFieldErrors(form, { navn: ['Navnet skal udfyldes.'] });
      focus(navn);
      return;
    }
    // A name typed but not chosen from the list would create the agreement without an enhed,
    // silently (issue 20, defect 4): it is refused where it was typed.
    if (picker.pending) {
      picker.refuse(UNCHOSEN);
      return;
    }
    const input = { navn: navn.value.trim() };
    if (picker.value) input.enhedId = picker.value.enhedId;
    if (aftalepart?.value) input.aftalepartKode = aftalepart.value;
    try {
      const sl = (await gql(CREATE, { input })).createServiceleverance;
      dlg.close();
      app.go(`#/sl/${encodeURIComponent(sl.id)}`);
      status(`Serviceleverancen »${sl.navn}« er oprettet som version 1. Vælg »Lås og rediger« for at udfylde resten.`);
    } catch (e) {
      reportError(e, app, { form });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// One serviceleverance

export async function renderSlDetail(main, app, id) {
  const sl = (await gql(ONE, { id })).serviceleverance;
  new SlView(main, app, sl).render();
}

class SlView {
  constructor(main, app, sl) {
    this.main = main;
    this.app = app;
    this.sl = sl;
    this.previewSeq = 0;
  }

  get mine() {
    return Boolean(this.sl.laas && this.sl.laas.subject === this.app.viewer.subject);
  }

  /** May the viewer write the kommune's fields (navn, enhed, type, dates)? */
  get writesFields() {
    return this.app.isAdmin || this.app.isKommune;
  }

  /** Does beskrivelse apply (R4): DRIFTSOVERENSKOMST with a helhedsplejeenhed? */
  beskrivelseApplies(type = this.sl.type, enhed = this.sl.enhed) {
    return type === 'DRIFTSOVERENSKOMST' && enhed?.kind === 'HELHEDSPLEJEENHED';
  }

  get writesBeskrivelse() {
    return this.app.isAdmin || (this.app.isRedaktoer && this.sl.enhed?.ejerCvr === this.app.viewer.cvr);
  }

  async reload(focusId) {
    try {
      this.sl = (await gql(ONE, { id: this.sl.id })).serviceleverance;
      this.render(focusId);
    } catch (e) {
      reportError(e, this.app);
    }
  }

  /** Applies a mutation's result (the fields) and reloads the versions. */
  async after(result, message, focusId) {
    this.sl = { ...this.sl, ...result };
    try {
      this.sl = (await gql(ONE, { id: this.sl.id })).serviceleverance;
    } catch {
      // the fields are current; the history is shown as it was
    }
    this.render(focusId);
    status(message);
  }

  render(focusId) {
    const { sl, app } = this;
    const editing = this.mine;
    const statusSection = h('section', { class: 'card status-card', 'aria-labelledby': 'sl-status-titel' },
      h('h2', { id: 'sl-status-titel' }, 'Status'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Vises offentligt'),
        h('dd', {}, publicBadge(sl), ' ', sl.isPublic ? 'Vises i den offentlige søgning i dag.' : sl.notPublicReason),
        h('dt', {}, 'Lås'),
        h('dd', { id: 'sl-laas' }, lockText(sl.laas, app.viewer)),
        h('dt', {}, 'Version'),
        h('dd', {}, `${sl.version} · sidst gemt ${fmtTime(sl.updatedAt)}`),
        h('dt', {}, 'Aftalepart'),
        h('dd', {}, sl.aftalepart ? `${sl.aftalepart.officieltNavn} (kan ikke ændres)` : '–')),
      h('h3', {}, 'Fejl og advarsler'),
      issueList(sl.issues));

    this.form = this.buildForm(editing);
    const toolbar = this.buildToolbar(editing);

    this.main.replaceChildren(
      h('nav', { class: 'crumbs', 'aria-label': 'Brødkrumme' }, h('ol', {},
        h('li', {}, h('a', { href: '#/' }, 'Serviceleverancer')),
        h('li', {}, sl.aftalepart ? sl.aftalepart.officieltNavn : '–'),
        h('li', { 'aria-current': 'page' }, sl.navn))),
      h('h1', { id: 'side-titel', tabindex: '-1' }, sl.navn),
      statusSection,
      toolbar,
      this.form,
      this.buildHistory(editing));
    this.app.guardUnsaved(() => this.mine && this.dirty);
    this.app.guardLock(() => (this.mine && !this.sl.deletedAt
      ? { navn: this.sl.navn, checkIn: () => this.checkInOnly() } : null));
    this.app.keepAlive(this.mine ? () => this.renew() : null);
    if (focusId) focus(document.getElementById(focusId));
  }

  /** R28: the heartbeat. Locking again renews the lock; a refusal means it is gone. */
  async renew() {
    try {
      // Quiet: a session that has ended is told when the person saves, not by the heartbeat.
      const sl = (await gql(LOCK, { id: this.sl.id }, { quiet: true, background: true })).lockServiceleverance;
      this.sl = { ...this.sl, laas: sl.laas };
    } catch (e) {
      if (!(e instanceof ApiError) || !['LOCKED', 'NOT_FOUND', 'FORBIDDEN'].includes(e.code)) return;
      this.app.keepAlive(null);
      lockLost(e, ['sl-gem', 'sl-tjek-ind']);
    }
  }

  buildToolbar(editing) {
    const { sl, app } = this;
    if (sl.deletedAt) {
      return h('p', { class: 'lead', id: 'sl-slettet' },
        `Serviceleverancen blev slettet ${fmtTime(sl.deletedAt)}. Den kan ikke længere låses eller rettes; versionshistorikken er bevaret.`);
    }
    const buttons = [];
    const mayLock = this.writesFields || this.writesBeskrivelse;
    if (!sl.laas && mayLock) {
      buttons.push(h('button', { type: 'button', id: 'sl-laas-knap', onclick: () => this.lock() }, 'Lås og rediger'));
    } else if (editing) {
      buttons.push(
        h('button', { type: 'button', id: 'sl-gem', 'aria-describedby': 'sl-gem-hjaelp', onclick: () => this.save() }, 'Gem'),
        h('button', { type: 'button', id: 'sl-tjek-ind', class: 'secondary', onclick: (ev) => this.openCheckIn(ev.currentTarget) }, 'Tjek ind'),
        h('button', { type: 'button', id: 'sl-fortryd', class: 'secondary', onclick: () => this.reload('sl-gem').then(() => status('Ændringerne er fortrudt.')) }, 'Fortryd ændringer'));
      if (this.writesFields) {
        buttons.push(h('button', { type: 'button', id: 'sl-slet', class: 'danger', onclick: (ev) => this.confirmDelete(ev.currentTarget) }, 'Slet'));
      }
    } else if (sl.laas) {
      if (mayLock && !app.isAdmin) {
        buttons.push(h('button', { type: 'button', id: 'sl-overtag', class: 'secondary', onclick: (ev) => this.takeOver(ev.currentTarget) }, 'Overtag lås'));
      }
      if (app.isAdmin) {
        buttons.push(h('button', { type: 'button', id: 'sl-frigiv', class: 'secondary', onclick: (ev) => this.forceUnlock(ev.currentTarget) }, 'Frigiv lås'));
      }
    }
    const notes = [];
    if (editing) {
      notes.push(h('p', { class: 'help', id: 'sl-gem-hjaelp' },
        'Når du gemmer, publiceres ændringerne med det samme (Ctrl+S gemmer også). Tjek ind, når du er færdig: så bliver ændringerne en ny version, og dine kolleger kan låse serviceleverancen.'));
    } else if (sl.laas) {
      notes.push(h('p', { class: 'help' }, `${sl.laas.navn ?? sl.laas.subject} arbejder på serviceleverancen. Tal med din kollega, før du overtager låsen.`));
    } else if (!mayLock) {
      notes.push(h('p', { class: 'help' }, 'Du kan se, men ikke rette denne serviceleverance.'));
    } else {
      notes.push(h('p', { class: 'help' }, 'Lås serviceleverancen for at rette i den; så kan dine kolleger ikke rette samtidig.'));
    }
    return h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Handlinger' }, buttons, notes);
  }

  buildForm(editing) {
    const { sl, app } = this;
    const fieldsEditable = editing && this.writesFields;
    const ro = !fieldsEditable;
    const navn = h('input', { id: 'sl-navn', type: 'text', value: sl.navn, maxlength: '200', readOnly: ro, required: true });
    this.picker = enhedPicker({
      value: sl.enhed, disabled: ro,
      onChange: () => { this.previewSoon(); this.updateBeskrivelseNote(); },
      onError: (e) => reportError(e, app),
    });
    const aftaleid = h('input', { id: 'sl-aftaleid', type: 'text', value: sl.aftaleidentifikation ?? '', maxlength: '200', readOnly: ro });
    const typeOptions = [['', '— ingen type valgt —'], ['DRIFTSOVERENSKOMST', TYPE_LABEL.DRIFTSOVERENSKOMST],
      ['MYNDIGHEDSPRODUKTION', TYPE_LABEL.MYNDIGHEDSPRODUKTION], ['LOKALPLEJEHJEM', TYPE_LABEL.LOKALPLEJEHJEM]];
    if (app.isAdmin || sl.type === 'FRIPLEJEBOLIG') typeOptions.push(['FRIPLEJEBOLIG', `${TYPE_LABEL.FRIPLEJEBOLIG} (kun administrator)`]);
    const type = select(typeOptions, sl.type ?? '', { id: 'sl-type', disabled: ro });
    const start = h('input', { id: 'sl-start', type: 'date', value: sl.startdato ?? '', readOnly: ro, min: '1900-01-01', max: '2999-12-31' });
    const slut = h('input', { id: 'sl-slut', type: 'date', value: sl.slutdato ?? '', readOnly: ro, min: '1900-01-01', max: '2999-12-31' });
    const beskrivelseEditable = editing && this.writesBeskrivelse;
    const beskrivelse = h('textarea', { id: 'sl-beskrivelse', rows: '5', maxlength: '4000', readOnly: !beskrivelseEditable }, sl.beskrivelse ?? '');
    this.controls = { navn, aftaleid, type, start, slut, beskrivelse };
    this.beskrivelseNote = h('span', {});

    const preview = h('div', { id: 'sl-preview', 'aria-live': 'polite' });
    this.previewEl = preview;
    const form = h('form', { class: 'card sl-form', 'aria-labelledby': 'sl-felter-titel', novalidate: true },
      h('h2', { id: 'sl-felter-titel' }, editing ? 'Rediger felter' : 'Felter'),
      !this.writesFields ? h('p', { class: 'help' }, 'Navn, enhed, aftaleidentifikation, type og datoer udfyldes af kommunens driftsoverenskomstansvarlige.') : null,
      h('div', { class: 'grid' },
        field({ label: 'Navn', control: navn, name: 'navn', wide: true }),
        h('div', { class: 'wide' }, this.picker.el),
        field({ label: 'Aftaleidentifikation', control: aftaleid, name: 'aftaleidentifikation', help: 'Kommunens egen identifikation af aftalen, fx kontraktnummeret.' }),
        field({ label: 'Type', control: type, name: 'type', help: 'Driftsoverenskomst: aftaler med en privat virksomheds enheder. Myndighedsproduktion: kommunens egne enheder. Lokalplejehjem: et lokalplejehjem, kommunen har etableret.' }),
        field({ label: 'Startdato', control: start, name: 'startdato' }),
        field({ label: 'Slutdato', control: slut, name: 'slutdato', help: 'Efterlad tom, hvis aftalen ikke har en slutdato.' }),
        field({ label: 'Beskrivelse', control: beskrivelse, name: 'beskrivelse', wide: true, help: this.beskrivelseNote })),
      fieldsEditable ? h('section', { class: 'preview', 'aria-labelledby': 'sl-preview-titel' },
        h('h3', { id: 'sl-preview-titel' }, 'Forhåndsvisning: fejl og advarsler, hvis du gemmer nu'), preview) : null);
    this.updateBeskrivelseNote();
    form.addEventListener('submit', (ev) => { ev.preventDefault(); if (editing) this.save(); });
    if (editing) {
      form.addEventListener('input', () => this.previewSoon());
      form.addEventListener('change', () => { this.previewSoon(); this.updateBeskrivelseNote(); });
      if (fieldsEditable) this.previewSoon(0);
    }
    return form;
  }

  updateBeskrivelseNote() {
    const type = this.controls.type.value || null;
    const applies = this.beskrivelseApplies(type, this.picker.value);
    let note;
    if (!this.writesBeskrivelse) {
      note = 'Beskrivelsen skrives af leverandørens redaktør; du kan se den, men ikke rette den. Den gælder kun driftsoverenskomster med en helhedsplejeenhed og skal være udfyldt, før de vises offentligt.';
    } else if (!applies) {
      note = 'Beskrivelsen gælder kun driftsoverenskomster med en helhedsplejeenhed.';
    } else {
      note = 'Leverandørens beskrivelse af de ydelser og forhold, der er aftalt med kommunen. Den skal være udfyldt, før aftalen vises offentligt.';
    }
    this.beskrivelseNote.textContent = note;
  }

  /** The form's values as the API names them. */
  values() {
    const c = this.controls;
    return {
      navn: c.navn.value.trim(),
      enhedId: this.picker.value?.enhedId ?? null,
      aftaleidentifikation: c.aftaleid.value.trim() || null,
      type: c.type.value || null,
      startdato: c.start.value || null,
      slutdato: c.slut.value || null,
      beskrivelse: c.beskrivelse.value.trim() || null,
    };
  }

  /** The changed fields of the kommune's part, and whether beskrivelse changed. */
  changes() {
    const v = this.values();
    const sl = this.sl;
    const before = {
      navn: sl.navn, enhedId: sl.enhed?.enhedId ?? null, aftaleidentifikation: sl.aftaleidentifikation ?? null,
      type: sl.type ?? null, startdato: sl.startdato ?? null, slutdato: sl.slutdato ?? null,
    };
    const input = {};
    if (this.writesFields) {
      for (const k of Object.keys(before)) if (v[k] !== before[k]) input[k] = v[k];
    }
    const beskrivelse = this.writesBeskrivelse && v.beskrivelse !== (sl.beskrivelse ?? null);
    return { input, beskrivelse, value: v.beskrivelse };
  }

  get dirty() {
    const c = this.changes();
    return Object.keys(c.input).length > 0 || c.beskrivelse || Boolean(this.picker?.pending);
  }

  previewSoon(delay = 350) {
    if (!this.mine || !this.writesFields || !this.previewEl) return;
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.preview(), delay);
  }

  async preview() {
    const mine = ++this.previewSeq;
    const v = this.values();
    try {
      const issues = (await gql(PREVIEW, {
        id: this.sl.id, enhedId: v.enhedId, type: v.type, startdato: v.startdato, slutdato: v.slutdato,
      })).previewIssues;
      if (mine !== this.previewSeq) return;
      setFieldErrors(this.form, {});
      replace(this.previewEl, issueList(issues, { empty: 'Ingen fejl eller advarsler: serviceleverancen kan vises offentligt, når den er aktiv.' }));
    } catch (e) {
      if (mine !== this.previewSeq) return;
      if (e instanceof ApiError && e.code === 'VALIDATION') {
        setFieldErrors(this.form, e.fields);
        replace(this.previewEl, h('p', { class: 'issue error' }, e.message));
      } else {
        replace(this.previewEl, h('p', {}, `Forhåndsvisningen er ikke tilgængelig: ${e.message}`));
      }
    }
  }

  async lock() {
    try {
      const sl = (await gql(LOCK, { id: this.sl.id })).lockServiceleverance;
      this.sl = { ...this.sl, ...sl };
      this.render(this.writesFields ? 'sl-navn' : 'sl-beskrivelse');
      status(`Serviceleverancen er låst til dig indtil ${fmtTime(sl.laas?.until)}. Dine kolleger kan ikke rette i den, før du tjekker ind.`);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'LOCKED') {
        await this.reload('sl-laas');
        showError(e);
      } else {
        reportError(e, this.app, { onReload: () => this.reload('side-titel') });
      }
    }
  }

  async takeOver(opener) {
    const who = this.sl.laas?.navn ?? this.sl.laas?.subject ?? 'din kollega';
    const ok = await confirmAction({
      title: 'Overtag lås',
      text: `Vil du overtage låsen fra ${who}? ${who} kan derefter ikke gemme sine ændringer. Tal med din kollega først, hvis du kan.`,
      confirm: 'Overtag låsen',
      opener,
    });
    if (!ok) return;
    try {
      const sl = (await gql(TAKE_OVER, { id: this.sl.id })).takeOverServiceleveranceLock;
      this.sl = { ...this.sl, ...sl };
      this.render(this.writesFields ? 'sl-navn' : 'sl-beskrivelse');
      status('Du har overtaget låsen. Din kollegas ikke-gemte ændringer kan ikke længere gemmes.');
    } catch (e) {
      reportError(e, this.app);
    }
  }

  async forceUnlock(opener) {
    const who = this.sl.laas?.navn ?? this.sl.laas?.subject ?? 'indehaveren';
    const ok = await confirmAction({
      title: 'Frigiv lås',
      text: `Vil du frigive låsen? ${who} kan derefter ikke gemme sine ændringer.`,
      confirm: 'Frigiv låsen',
      opener,
    });
    if (!ok) return;
    try {
      const sl = (await gql(FORCE_UNLOCK, { id: this.sl.id })).forceUnlockServiceleverance;
      await this.after(sl, 'Låsen er frigivet.', 'sl-laas-knap');
    } catch (e) {
      reportError(e, this.app);
    }
  }

  /** Saves the changed fields; resolves to true when saved (or nothing to save). */
  async save({ quiet = false } = {}) {
    if (this.writesFields && this.picker?.pending) {
      this.picker.refuse(UNCHOSEN);
      showError(UNCHOSEN);
      return false;
    }
    const { input, beskrivelse, value } = this.changes();
    if (!Object.keys(input).length && !beskrivelse) {
      if (!quiet) status('Der er ingen ændringer at gemme.');
      return true;
    }
    if ('navn' in input && !input.navn) {
      setFieldErrors(this.form, { navn: ['Navnet skal udfyldes.'] });
      showError('Navnet skal udfyldes.');
      focus(this.controls.navn);
      return false;
    }
    let sl = this.sl;
    try {
      if (Object.keys(input).length) {
        sl = (await gql(UPDATE, { id: sl.id, input, rev: sl.revision })).updateServiceleverance;
        this.sl = { ...this.sl, ...sl };
      }
      if (beskrivelse) {
        sl = (await gql(SET_BESKRIVELSE, { id: sl.id, beskrivelse: value, rev: sl.revision })).setBeskrivelse;
        this.sl = { ...this.sl, ...sl };
      }
    } catch (e) {
      reportError(e, this.app, { form: this.form, onReload: () => this.reload('side-titel') });
      return false;
    }
    if (!quiet) {
      const pub = sl.isPublic ? 'Den vises nu i den offentlige søgning.' : `Den vises ikke offentligt: ${sl.notPublicReason}`;
      await this.after(sl, `Gemt og publiceret kl. ${fmtTime(sl.updatedAt).split(' kl. ')[1]}. ${pub}`, 'sl-gem');
    }
    return true;
  }

  openCheckIn(opener) {
    const kommentar = h('textarea', { rows: '3', maxlength: '1000' });
    const dirty = this.dirty;
    const form = h('form', { novalidate: true },
      h('p', {}, 'Tjek ind afslutter redigeringen: ændringerne gemmes som en ny version, og låsen frigives, så dine kolleger kan rette i serviceleverancen.'),
      dirty ? h('p', { class: 'note' }, 'Du har ændringer, der ikke er gemt; de gemmes og publiceres først.') : null,
      field({ label: 'Kommentar (valgfri)', control: kommentar, name: 'kommentar', help: 'Fx hvad du har ændret; den vises i versionshistorikken.' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, 'Tjek ind'),
        h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Annuller')));
    const dlg = modal({ title: 'Tjek ind', body: form, opener });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      dlg.close();
      if (!(await this.save({ quiet: true }))) return;
      try {
        const sl = (await gql(CHECK_IN, {
          id: this.sl.id, kommentar: kommentar.value.trim() || null, rev: this.sl.revision,
        })).checkInServiceleverance;
        await this.after(sl, `Tjekket ind som version ${sl.version}. Låsen er frigivet.`, 'sl-laas-knap');
      } catch (e) {
        reportError(e, this.app, { onReload: () => this.reload('side-titel') });
      }
    });
  }

  /** Leaving with the lock, "Tjek ind nu": what is saved becomes the version (changes not
   * saved were given up when leaving was confirmed). Resolves to whether it was checked in. */
  async checkInOnly() {
    try {
      const sl = (await gql(CHECK_IN_ONLY, { id: this.sl.id, rev: this.sl.revision })).checkInServiceleverance;
      this.app.keepAlive(null);
      status(`»${this.sl.navn}« er tjekket ind som version ${sl.version}.`);
      return true;
    } catch (e) {
      reportError(e, this.app, { onReload: () => this.reload('side-titel') });
      return false;
    }
  }

  confirmDelete(opener) {
    const form = h('form', {},
      h('p', {}, `Vil du slette »${this.sl.navn}«? Den forsvinder fra den offentlige søgning med det samme. Versionshistorikken bevares.`),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'danger' }, 'Slet serviceleverancen'),
        h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Annuller')));
    const dlg = modal({ title: 'Slet serviceleverance', body: form, opener });
    // The safe choice first.
    form.querySelector('button.secondary').focus();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      dlg.close();
      try {
        await gql(DELETE, { id: this.sl.id, rev: this.sl.revision });
        const navn = this.sl.navn;
        this.app.guardUnsaved(() => false);
        this.app.guardLock(() => null);
        this.app.go('#/');
        status(`»${navn}« er slettet og vises ikke længere i den offentlige søgning.`);
      } catch (e) {
        reportError(e, this.app, { onReload: () => this.reload('side-titel') });
      }
    });
  }

  async restore(nummer, button) {
    // What restoring would change, for this user (only the fields they may write), first.
    let changes;
    try {
      changes = (await gql(RESTORE_PREVIEW, { id: this.sl.id, nummer })).restorePreview;
    } catch (e) {
      reportError(e, this.app);
      return;
    }
    if (!changes.length) {
      status(`Version ${nummer} er magen til den nuværende udgave i de felter, du kan rette; der er intet at gendanne.`);
      return;
    }
    const ok = await confirmAction({
      title: `Gendan version ${nummer}`,
      text: `Disse felter får værdierne fra version ${nummer}, og ændringen publiceres med det samme. Den nuværende udgave findes stadig i historikken.`,
      extra: changesTable(changes, { caption: `Det ændrer gendannelsen af version ${nummer}`, before: 'Nu', after: `Version ${nummer}` }),
      confirm: `Gendan version ${nummer}`,
      opener: button,
    });
    if (!ok) return;
    try {
      const sl = (await gql(RESTORE, { id: this.sl.id, nummer, rev: this.sl.revision })).restoreServiceleveranceVersion;
      await this.after(sl, `Version ${nummer} er gendannet og publiceret. Tjek ind for at gemme den som en ny version.`, 'sl-gem');
    } catch (e) {
      reportError(e, this.app, { onReload: () => this.reload('side-titel') });
      focus(button);
    }
  }

  buildHistory(editing) {
    const { sl } = this;
    const versions = sl.versions ?? [];
    const list = h('ol', { class: 'versions', reversed: true }, versions.map((v) => {
      const snapId = nextId('snapshot');
      const snap = v.snapshot;
      const enhedName = snap.enhedId && sl.enhed?.enhedId === snap.enhedId ? sl.enhed.navn : snap.enhedId;
      const details = h('dl', { class: 'facts snapshot', id: snapId, hidden: true },
        h('dt', {}, 'Navn'), h('dd', {}, snap.navn),
        h('dt', {}, 'Enhed'), h('dd', {}, enhedName ?? '–'),
        h('dt', {}, 'Aftaleidentifikation'), h('dd', {}, snap.aftaleidentifikation ?? '–'),
        h('dt', {}, 'Type'), h('dd', {}, snap.type ? TYPE_LABEL[snap.type] : '–'),
        h('dt', {}, 'Startdato'), h('dd', {}, snap.startdato ? fmtDate(snap.startdato) : '–'),
        h('dt', {}, 'Slutdato'), h('dd', {}, snap.slutdato ? fmtDate(snap.slutdato) : '–'),
        h('dt', {}, 'Beskrivelse'), h('dd', {}, snap.beskrivelse ?? '–'));
      const show = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-controls': snapId,
        onclick: () => {
          details.hidden = !details.hidden;
          show.setAttribute('aria-expanded', details.hidden ? 'false' : 'true');
        } }, `Vis version ${v.nummer}`);
      const restore = h('button', { type: 'button', class: 'secondary small', disabled: !editing,
        'aria-describedby': editing ? null : 'versioner-hjaelp',
        onclick: (ev) => this.restore(v.nummer, ev.currentTarget) }, `Gendan version ${v.nummer}`);
      return h('li', { class: 'version' },
        h('p', {}, h('strong', {}, `Version ${v.nummer}`), ` · ${fmtTime(v.createdAt)} · ${v.authorName ?? v.author}`,
          v.kommentar ? h('span', { class: 'comment' }, ` · »${v.kommentar}«`) : null),
        h('div', { class: 'row' }, show, restore), details);
    }));
    return h('section', { class: 'card', 'aria-labelledby': 'versioner-titel' },
      h('details', { class: 'history', id: 'versioner' },
        h('summary', { id: 'versioner-titel' }, 'Versionshistorik ', h('span', { class: 'count-badge', id: 'versioner-antal' }, String(sl.versionCount))),
        this.buildCompare(versions),
        h('p', { class: 'help', id: 'versioner-hjaelp' }, editing
          ? 'Gendan lægger en versions felter ind og publicerer dem; tjek ind bagefter.'
          : 'Lås serviceleverancen for at gendanne en version.'),
        list));
  }

  /** Sammenlign (R15): any two versions, or a version and the current state, field by field. */
  buildCompare(versions) {
    if (!versions.length) return null;
    const nums = versions.map((v) => v.nummer);
    const older = nums.length > 1 ? nums[1] : nums[0];
    const from = select(nums.map((n) => [String(n), `Version ${n}`]), String(older), { id: 'sammenlign-fra' });
    const to = select([['', 'Nuværende udgave'], ...nums.map((n) => [String(n), `Version ${n}`])], '', { id: 'sammenlign-til' });
    const result = h('div', { id: 'sammenlign-resultat', 'aria-live': 'polite' });
    const form = h('form', { class: 'compare', 'aria-label': 'Sammenlign versioner' },
      field({ label: 'Sammenlign', control: from }),
      field({ label: 'med', control: to }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary', id: 'sammenlign-knap' }, 'Sammenlign')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const a = Number(from.value);
      const b = to.value === '' ? null : Number(to.value);
      const name = (n) => (n === null ? 'den nuværende udgave' : `version ${n}`);
      try {
        const changes = (await gql(COMPARE, { id: this.sl.id, from: a, to: b })).compareVersions;
        replace(result, changesTable(changes, {
          caption: `Forskelle fra version ${a} til ${name(b)}`,
          before: `Version ${a}`,
          after: b === null ? 'Nu' : `Version ${b}`,
          empty: `Version ${a} og ${name(b)} er ens.`,
        }));
      } catch (e) {
        reportError(e, this.app);
      }
    });
    return h('div', {}, form, result);
  }
}
