// Enheder: a redaktør's own (description, contact data and the profile for citizens with its
// photos, R31), an administrator's search, create and edit of every field. Editing holds the
// enhed's lock (lockEnhed, updateEnhed, checkInEnhed; photos by PUT /enhed/{id}/fotos and
// updateFotos). Also the ældretilsyn's views (R32): the enheder of its area and one enhed's
// tilsyn history with its forms.
import { ApiError, gql, uploadFoto } from './api.js';
import {
  BOLIGTYPE_LABEL, KIND_LABEL, checkGroup, clearMessages, confirmAction, field, fmtDate, fmtTime, focus, h, lockLost, lockText,
  modal, replace, select, setFieldErrors, showError, status, todayYmd,
} from './dom.js';

const ENHED_FIELDS = `id enhedId revision kind navn ejerCvr sorKode demo
  adresse { vejnavn postnummer by } placering { lat lon } kommune { kode navn officieltNavn }
  boligtype antalBoliger beskrivelse kontakt { telefon email web }
  laas { subject navn since until editingNow lastSeen }`;

// R31: the profile as the editor shows it.
const PROFIL_FIELDS = `profil { huslejeFra huslejeTil huslejeTekst indskud parboliger demens madPaaStedet dyr traening
  faciliteter ydelser kanLevereFra omraader fotos { url alt bredde hoejde } }`;
const FULL = `${ENHED_FIELDS} ${PROFIL_FIELDS}`;

const MINE = `query MineEnheder { viewer { enheder { ${ENHED_FIELDS} } } }`;
const FIND = `query FindEnheder($text: String!, $kind: EnhedKind) { findEnheder(text: $text, kind: $kind, first: 50) { ${ENHED_FIELDS} } }`;
const ONE = `query Enhed($id: String!) { enhed(id: $id) { ${FULL} } }`;
const LOCK = `mutation LaasEnhed($id: String!) { lockEnhed(id: $id) { ${FULL} } }`;
const HEARTBEAT = `mutation FornyEnhedslaas($id: String!) { lockEnhed(id: $id) { revision } }`;
const TAKE_OVER = `mutation OvertagEnhedslaas($id: String!) { takeOverEnhedLock(id: $id) { ${FULL} } }`;
const UPDATE = `mutation GemEnhed($id: String!, $input: EnhedInput!, $rev: Int) { updateEnhed(id: $id, input: $input, expectedRevision: $rev) { ${FULL} } }`;
const CHECK_IN = `mutation TjekEnhedInd($id: String!) { checkInEnhed(id: $id) { ${FULL} } }`;
const CREATE = `mutation OpretEnhed($input: EnhedInput!) { createEnhed(input: $input) { ${FULL} } }`;
const UPDATE_FOTOS = `mutation GemBilleder($enhedId: String!, $fotos: [FotoInput!]!, $rev: Int) {
  updateFotos(enhedId: $enhedId, fotos: $fotos, expectedRevision: $rev) { ${FULL} } }`;

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

// ---------------------------------------------------------------------------------------------
// R31: the profile for citizens

const DEMENS_LABEL = { NEJ: 'Ingen særlige forhold', DEMENSVENLIG: 'Demensvenlig', DEMENSAFSNIT: 'Har et demensafsnit' };
const DYR_LABEL = {
  EGNE: 'Du kan tage dit eget dyr med',
  FAELLES: 'Stedet har dyr, som beboerne deler',
  INGEN: 'Ingen dyr',
};
const FACILITET_LABEL = {
  EGET_BAD: 'Eget bad og toilet',
  TEKOEKKEN: 'Tekøkken',
  ALTAN_TERRASSE: 'Altan eller terrasse',
  HAVE: 'Have',
  SANSEHAVE: 'Sansehave',
  INTERNET: 'Internet',
};
const YDELSE_LABEL = {
  PERSONLIG_PLEJE: 'Personlig pleje',
  PRAKTISK_HJAELP: 'Praktisk hjælp',
  MADSERVICE: 'Madservice',
  TRAENING: 'Træning og rehabilitering',
  SYGEPLEJE: 'Sygepleje',
  NATTEPLEJE: 'Pleje om natten',
};
const FOTOS_MAX = 4;

/** The profile's fields by the enhed's kind: [name, label, kind of control, help]. The other
 * kind's fields are neither shown nor sent (the API refuses them by name). */
const PROFIL = {
  PLEJEENHED: [
    ['huslejeFra', 'Husleje fra (kr. om måneden)', 'kr', 'Den laveste husleje. Er der kun én husleje, så skriv den her.'],
    ['huslejeTil', 'Husleje til (kr. om måneden)', 'kr', 'Den højeste husleje, når den varierer mellem boligerne.'],
    ['indskud', 'Indskud (kr.)', 'kr', null],
    ['parboliger', 'Boliger til par', 'antal', 'Boliger, hvor et par kan bo sammen.'],
    ['demens', 'Demens', 'demens', null],
    ['madPaaStedet', 'Mad lavet på stedet', 'bool', null],
    ['dyr', 'Dyr', 'dyr', null],
    ['traening', 'Træningsfaciliteter', 'bool', null],
    ['faciliteter', 'Faciliteter', 'faciliteter', 'Sæt kryds ved det, boligerne eller stedet har.'],
  ],
  HELHEDSPLEJEENHED: [
    ['ydelser', 'Ydelser', 'ydelser', 'Det, I leverer til borgerne.'],
    ['kanLevereFra', 'Kan levere fra', 'date', 'Den første dag, I kan begynde at levere til en ny borger.'],
    ['omraader', 'Områder', 'lines', 'Ét område pr. linje, fx en by, en bydel eller et postnummer.'],
  ],
};

/** A whole number typed by a person: "8.500" and "8 500" are 8500; empty is null. */
function wholeNumber(raw, kind) {
  const t = raw.trim().replace(/\s*kr\.?$/i, '').replace(/[\s.]/g, '');
  if (t === '') return { value: null };
  if (!/^\d{1,9}$/.test(t)) {
    return { error: kind === 'kr' ? 'Skriv beløbet i hele kroner, fx 8500.' : 'Skriv et antal, fx 4.' };
  }
  return { value: Number(t) };
}

/** One field of the profile: { node, read() } where `read()` gives { value } or { error }. */
function profilControl(name, label, kind, help, value, editing) {
  const id = `enhed-${name}`;
  const text = value === null || value === undefined ? '' : String(value);
  const one = (control, read, wide = false) => ({ node: field({ label, control, name, help, wide }), read });
  switch (kind) {
    case 'kr':
    case 'antal': {
      const el = h('input', { id, type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: '12', value: text, readOnly: !editing });
      return one(el, () => wholeNumber(el.value, kind));
    }
    case 'bool': {
      const el = select([['', 'Ikke oplyst'], ['true', 'Ja'], ['false', 'Nej']], text, { id, disabled: !editing });
      return one(el, () => ({ value: el.value === '' ? null : el.value === 'true' }));
    }
    case 'demens':
    case 'dyr': {
      const el = select([['', 'Ikke oplyst'], ...Object.entries(kind === 'demens' ? DEMENS_LABEL : DYR_LABEL)], text, { id, disabled: !editing });
      return one(el, () => ({ value: el.value || null }));
    }
    case 'date': {
      const el = h('input', { id, type: 'date', value: text, readOnly: !editing });
      return one(el, () => ({ value: el.value || null }));
    }
    case 'lines': {
      const el = h('textarea', { id, rows: '4', readOnly: !editing }, (value ?? []).join('\n'));
      return one(el, () => {
        const lines = el.value.split('\n').map((l) => l.trim()).filter(Boolean);
        return { value: lines.length ? lines : null };
      }, true);
    }
    default: {
      const group = checkGroup({
        id, legend: label, name, options: kind === 'faciliteter' ? FACILITET_LABEL : YDELSE_LABEL, value, disabled: !editing, help,
      });
      return { node: group.node, read: () => ({ value: group.read() }) };
    }
  }
}

/** Whether a profile field's value is unchanged: lists of codes in any order; a list not
 * stated and one with nothing checked are the same (nothing to send). */
function sameProfil(kind, a, b) {
  if (kind === 'faciliteter' || kind === 'ydelser') {
    return JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());
  }
  if (kind === 'lines') return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return (a ?? null) === (b ?? null);
}

/**
 * R31's photos of an enhed: the list (thumbnail, alt text, Flyt op/Flyt ned/Fjern, which
 * save at once with updateFotos) and the upload (PUT /enhed/{enhedId}/fotos), under the lock.
 * Alt texts edited in the list are saved by the editor's Gem (`changedList`). A change of the
 * photos moves the enhed's revision, which this adopts into `e`.
 */
function fotoPart({ app, e, mine, mayEdit, form, onError }) {
  const list = h('div', { id: 'fotos-liste' });
  let rows = [];
  const fotos = () => e.profil?.fotos ?? [];

  const file = h('input', { type: 'file', id: 'foto-fil', accept: 'image/jpeg,image/png,image/webp' });
  const alt = h('textarea', { id: 'foto-alt', rows: '2', maxlength: '300', required: true });
  const add = h('button', { type: 'button', id: 'foto-tilfoej', class: 'secondary' }, 'Tilføj billedet');
  const why = h('p', { class: 'note', id: 'foto-hvorfor', hidden: true });
  const upload = h('fieldset', { class: 'foto-upload', 'aria-describedby': 'foto-hvorfor' },
    h('legend', {}, 'Tilføj et billede'),
    why,
    field({ label: 'Billedfil', control: file, name: 'fil', help: 'JPEG, PNG eller WebP. Billedet gemmes uden skjulte oplysninger som fx GPS-position.' }),
    field({ label: 'Alternativ tekst', control: alt, name: 'alt', help: 'Beskriv billedet for den, der ikke kan se det.' }),
    h('div', { class: 'actions' }, add));

  function adopt(fresh) {
    e.revision = fresh.revision;
    e.laas = fresh.laas;
    e.profil = { ...(e.profil ?? {}), fotos: fresh.profil?.fotos ?? [] };
  }

  function state() {
    const reason = !mine
      ? 'Lås enheden for at tilføje, flytte eller fjerne billeder.'
      : fotos().length >= FOTOS_MAX
        ? `Enheden har allerede ${FOTOS_MAX} billeder. Fjern et, før du tilføjer et nyt.`
        : '';
    upload.disabled = Boolean(reason);
    why.textContent = reason;
    why.hidden = !reason;
  }

  const current = () => rows.map((r) => ({ url: r.foto.url, alt: r.alt.value.trim() }));
  const altErrors = () => {
    const errors = {};
    rows.forEach((r, i) => {
      if (!r.alt.value.trim()) errors[`foto-alt-${i}`] = ['Skriv en alternativ tekst, der beskriver billedet for den, der ikke kan se det.'];
    });
    return errors;
  };

  function button(label, i, what, onclick, disabled, kind = 'secondary') {
    return h('button', { type: 'button', class: `${kind} small`, id: `foto-${i}-${what}`, disabled, onclick, 'aria-label': `${label}: billede ${i + 1}` },
      label);
  }

  function draw() {
    const all = fotos();
    rows = all.map((f) => ({ foto: f, alt: h('textarea', { rows: '2', maxlength: '300', readOnly: !mine }, f.alt) }));
    replace(list, all.length === 0
      ? h('p', { id: 'fotos-ingen' }, 'Enheden har ingen billeder.')
      : h('ol', { class: 'fotos' }, rows.map((r, i) => h('li', { class: 'foto' },
        h('img', {
          class: 'foto-thumb', src: r.foto.url, alt: r.foto.alt, width: '160',
          height: String(Math.max(1, Math.round((160 * r.foto.hoejde) / Math.max(1, r.foto.bredde)))),
        }),
        h('div', { class: 'foto-felter' },
          field({ label: `Alternativ tekst til billede ${i + 1}`, control: r.alt, name: `foto-alt-${i}` }),
          mine ? h('div', { class: 'actions' },
            button('Flyt op', i, 'op', () => move(i, -1), i === 0),
            button('Flyt ned', i, 'ned', () => move(i, 1), i === rows.length - 1),
            button('Fjern', i, 'fjern', (ev) => remove(i, ev.currentTarget), false, 'danger')) : null)))));
    state();
  }

  async function apply(next, message, after) {
    const errors = altErrors();
    if (Object.keys(errors).length) {
      setFieldErrors(form, errors);
      showError('Billederne blev ikke gemt: hvert billede skal have en alternativ tekst.');
      focus(form.querySelector('[aria-invalid="true"]'));
      return;
    }
    try {
      const saved = (await gql(UPDATE_FOTOS, { enhedId: e.enhedId, fotos: next, rev: e.revision })).updateFotos;
      adopt(saved);
      draw();
      status(message);
      after?.();
    } catch (err) {
      onError(err);
    }
  }

  function move(i, d) {
    const next = current();
    [next[i], next[i + d]] = [next[i + d], next[i]];
    apply(next, `Billedet er flyttet ${d < 0 ? 'op' : 'ned'} som nummer ${i + d + 1}.`, () => {
      const j = i + d;
      const same = document.getElementById(`foto-${j}-${d < 0 ? 'op' : 'ned'}`);
      focus(same && !same.disabled ? same : document.getElementById(`foto-${j}-${d < 0 ? 'ned' : 'op'}`));
    });
  }

  async function remove(i, opener) {
    const f = rows[i].foto;
    const ok = await confirmAction({
      title: 'Fjern billedet',
      text: `Billede ${i + 1} (»${f.alt}«) fjernes fra enhedens side med det samme. Det kan ikke fortrydes.`,
      confirm: 'Fjern billedet',
      opener,
    });
    if (!ok) return;
    await apply(current().filter((_, j) => j !== i), 'Billedet er fjernet.', () => {
      focus(rows.length ? rows[Math.min(i, rows.length - 1)].alt : document.getElementById('billeder-titel'));
    });
  }

  add.addEventListener('click', async () => {
    const errors = {};
    const chosen = file.files?.[0];
    if (!chosen) errors.fil = ['Vælg en billedfil.'];
    if (!alt.value.trim()) errors.alt = ['Skriv en alternativ tekst, der beskriver billedet for den, der ikke kan se det.'];
    setFieldErrors(form, errors);
    if (Object.keys(errors).length) {
      showError('Billedet blev ikke tilføjet: ret felterne markeret med fejl.');
      focus(form.querySelector('[aria-invalid="true"]'));
      return;
    }
    add.disabled = true;
    status('Sender billedet …');
    try {
      const before = fotos().length;
      await uploadFoto(e.enhedId, chosen, alt.value.trim());
      adopt((await gql(ONE, { id: e.enhedId })).enhed);
      file.value = '';
      alt.value = '';
      draw();
      status(fotos().length > before
        ? `Billedet er tilføjet og vises nu for borgerne (${fotos().length} af ${FOTOS_MAX}).`
        : 'Billedet findes allerede blandt enhedens billeder.');
      focus(rows.at(-1)?.alt);
    } catch (err) {
      onError(err);
    } finally {
      add.disabled = false;
      state();
    }
  });

  draw();
  const node = h('section', { class: 'billeder', 'aria-labelledby': 'billeder-titel', id: 'billeder' },
    h('h3', { id: 'billeder-titel' }, 'Billeder'),
    h('p', { class: 'help' }, `Op til ${FOTOS_MAX} billeder, som borgerne ser i den rækkefølge, de står her. Tilføj, Flyt og Fjern gemmes med det samme; rettede billedtekster gemmes med »Gem«.`),
    list,
    mayEdit ? upload : null);
  return {
    node,
    /** The list to send when an alt text was changed, else null; `errors` when one is empty. */
    changedList: () => (rows.some((r) => r.alt.value.trim() !== r.foto.alt) ? current() : null),
    errors: () => (rows.some((r) => r.alt.value.trim() !== r.foto.alt) ? altErrors() : {}),
    pending: () => rows.some((r) => r.alt.value.trim() !== r.foto.alt) || Boolean(file.files?.length) || alt.value.trim() !== '',
    adopt,
  };
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

  // R31: the profile of the enhed's kind (as stored), and a plejeenhed's photos.
  const profil = {};
  const profilNodes = creating ? [] : (PROFIL[e.kind] ?? []).map(([name, label, kind, help]) => {
    const hint = name === 'parboliger' && e.antalBoliger != null ? `${help} Højst ${e.antalBoliger}, enhedens antal boliger.` : help;
    const c = profilControl(name, label, kind, hint, e.profil?.[name] ?? null, editing);
    profil[name] = { ...c, kind };
    return c.node;
  });

  const form = h('form', { class: 'card', 'aria-labelledby': 'enhed-felter-titel', novalidate: true },
    h('h2', { id: 'enhed-felter-titel' }, creating ? 'Ny enhed' : editing ? 'Rediger enheden' : 'Oplysninger'),
    register ? [register, h('p', { class: 'help' }, 'Oplysningerne ovenfor vedligeholdes af administratorerne.')] : null,
    h('div', { class: 'grid' }, fields));

  const reload = async (fid) => {
    const fresh = (await gql(ONE, { id: e.enhedId })).enhed;
    renderForm(main, app, fresh, fid);
  };

  const fotos = !creating && e.kind === 'PLEJEENHED'
    ? fotoPart({ app, e, mine, mayEdit, form, onError: (err) => reportError(err, app, form, () => reload('side-titel')) })
    : null;
  form.append(creating
    ? h('p', { class: 'help' }, 'Profilen for borgere udfyldes, når enheden er oprettet.')
    : h('section', { class: 'profil', id: 'profil', 'aria-labelledby': 'profil-titel' },
      h('h2', { id: 'profil-titel' }, 'Profil for borgere'),
      h('p', { class: 'help' }, `Det, borgerne ser om ${e.kind === 'PLEJEENHED' ? 'plejeenheden' : 'helhedsplejeenheden'} ud over registerets oplysninger; det vises, så snart det er gemt. Et tomt felt vises som »ikke oplyst«.`),
      h('div', { class: 'grid' }, profilNodes),
      fotos?.node));

  /** What to send: the fields that changed (R29: absent keeps, null clears), and the fields
   * that cannot be read (a husleje in words). */
  function input() {
    const out = {};
    const errors = {};
    for (const [name, { el, kind }] of Object.entries(controls)) {
      const v = parse(kind, el.value);
      const before = current(e, name);
      if (creating ? v !== null : v !== (before === undefined ? null : before)) out[name] = v;
    }
    for (const [name, c] of Object.entries(profil)) {
      const r = c.read();
      if (r.error) errors[name] = [r.error];
      else if (!sameProfil(c.kind, r.value, e.profil?.[name] ?? null)) out[name] = r.value;
    }
    return { out, errors };
  }

  if (editing && !creating) {
    app.guardUnsaved(() => {
      const { out, errors } = input();
      return Object.keys(out).length > 0 || Object.keys(errors).length > 0 || Boolean(fotos?.pending());
    });
  }
  // R28: the heartbeat renews the lock while the form is open; a refusal means it is gone.
  app.keepAlive(mine ? async () => {
    try {
      await gql(HEARTBEAT, { id: e.enhedId }, { quiet: true, background: true });
    } catch (err) {
      if (!(err instanceof ApiError) || !['LOCKED', 'NOT_FOUND', 'FORBIDDEN'].includes(err.code)) return;
      app.keepAlive(null);
      lockLost(err, ['enhed-gem', 'enhed-tjek-ind', 'foto-tilfoej']);
    }
  } : null);

  async function save({ quiet = false } = {}) {
    const { out: changed, errors } = input();
    Object.assign(errors, fotos?.errors() ?? {});
    if (Object.keys(errors).length) {
      setFieldErrors(form, errors);
      showError('Enheden blev ikke gemt: ret felterne markeret med fejl.');
      focus(form.querySelector('[aria-invalid="true"]'));
      return null;
    }
    const fotoList = fotos?.changedList() ?? null;
    if (!Object.keys(changed).length && !fotoList) {
      if (!quiet) status('Der er ingen ændringer at gemme.');
      return e;
    }
    try {
      let saved = e;
      if (Object.keys(changed).length) {
        saved = (await gql(UPDATE, { id: e.enhedId, input: changed, rev: e.revision })).updateEnhed;
        // What is saved is the form's new starting point, also if the photos fail below.
        Object.assign(e, saved);
      }
      if (fotoList) saved = (await gql(UPDATE_FOTOS, { enhedId: e.enhedId, fotos: fotoList, rev: e.revision })).updateFotos;
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
        const made = (await gql(CREATE, { input: input().out })).createEnhed;
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
    ...(e ? [h('p', { class: 'lead', id: 'enhed-laas' }, lockInfo, e.demo ? ' Enheden er fiktiv demodata.' : '')] : []),
    ...(e && app.isAdmin ? [h('p', {}, h('a', { href: `#/tilsyn/${encodeURIComponent(e.enhedId)}` }, 'Tilsyn med enheden'))] : []),
    form);
  if (focusId) focus(document.getElementById(focusId));
}

// ---------------------------------------------------------------------------------------------
// R32: the ældretilsyn's views: the enheder of its area, and one enhed's tilsyn history with
// the forms to register a tilsyn, give a påbud or forbud, and lift one.

const VURDERINGER = [
  'Ingen problemer af betydning',
  'Mindre problemer af betydning',
  'Større problemer af betydning',
  'Kritiske problemer af betydning',
];
const PF_LABEL = { PAABUD: 'Påbud', FORBUD: 'Forbud' };
const PF_THE = { PAABUD: 'påbuddet', FORBUD: 'forbuddet' };
const capital = (t) => t.charAt(0).toUpperCase() + t.slice(1);

const TILSYN_ENHED = `enhedId navn kind adresse { vejnavn postnummer by } kommune { kode navn officieltNavn }
  tilsyn { seneste { dato vurdering } paabudForbud { id type } }`;
const AREA = `query TilsynOmraade($cvr: String!) { tilsynOmraade(cvr: $cvr) kommuner { kode navn officieltNavn } }`;
const IN_KOMMUNE = `query TilsynEnheder($kommune: String!, $first: Int, $offset: Int) {
  tilsynEnheder(kommune: $kommune, first: $first, offset: $offset) { ${TILSYN_ENHED} }
}`;
const PAGE = 100; // tilsynEnheder's largest page
const HISTORY = `query TilsynHistorik($id: String!) {
  enhed(id: $id) { ${TILSYN_ENHED} }
  tilsynHistorik(enhedId: $id) {
    tilsyn { dato vurdering sammenfatning rapportUrl }
    paabudForbud { id type tekst givet ophaevet }
  }
}`;
const REGISTER_TILSYN = `mutation RegistrerTilsyn($id: String!, $input: TilsynInput!) { registerTilsyn(enhedId: $id, input: $input) { dato } }`;
const GIVE = `mutation GivPaabudForbud($id: String!, $input: PaabudForbudInput!) { givePaabudForbud(enhedId: $id, input: $input) { id } }`;
const LIFT = `mutation OphaevPaabudForbud($id: String!, $ophaevet: Date) { liftPaabudForbud(id: $id, ophaevet: $ophaevet) { id ophaevet } }`;

function placeOf(e) {
  return [e.adresse?.vejnavn, [e.adresse?.postnummer, e.adresse?.by].filter(Boolean).join(' ')].filter(Boolean).join(', ');
}

function tilsynItem(e) {
  const inForce = e.tilsyn?.paabudForbud ?? [];
  const last = e.tilsyn?.seneste;
  return h('li', { class: 'sl-item' },
    h('div', { class: 'sl-head' }, h('a', { href: `#/tilsyn/${encodeURIComponent(e.enhedId)}` }, e.navn),
      inForce.length ? h('span', { class: 'badge off' }, `${inForce.length} påbud eller forbud i kraft`) : null),
    h('p', { class: 'meta' }, [KIND_LABEL[e.kind], placeOf(e)].filter(Boolean).join(' · ')),
    h('p', { class: 'meta' }, last ? `Seneste tilsyn ${fmtDate(last.dato)}: ${last.vurdering}` : 'Intet tilsyn registreret.'));
}

/** Every enhed lying in a kommune, whether or not any kommune offers it (tilsynEnheder, page
 * by page while a page is full). */
async function lyingIn(kode) {
  const found = [];
  const seen = new Set();
  for (let offset = 0; ; offset += PAGE) {
    const page = (await gql(IN_KOMMUNE, { kommune: kode, first: PAGE, offset })).tilsynEnheder;
    const before = found.length;
    for (const e of page) {
      if (!seen.has(e.enhedId)) {
        seen.add(e.enhedId);
        found.push(e);
      }
    }
    if (page.length < PAGE || found.length === before) return found;
  }
}

function joinNames(names) {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} og ${names.at(-1)}`;
}

/** The ældretilsyn's start view: every enhed lying in its kommuner (a section per kommune),
 * with the latest tilsyn and the påbud and forbud in force. */
export async function renderTilsynList(main, app) {
  const cvr = app.viewer.cvr ?? '';
  const d = await gql(AREA, { cvr });
  const kommuner = new Map(d.kommuner.map((k) => [k.kode, k]));
  const area = d.tilsynOmraade.filter((k) => kommuner.has(k));
  const title = h('h1', { id: 'side-titel', tabindex: '-1' }, 'Tilsyn');
  if (!area.length) {
    main.replaceChildren(title,
      h('p', { class: 'notice', id: 'tilsyn-intet-omraade' }, `Ældretilsynet med CVR-nummer ${cvr} er endnu ikke tildelt nogen kommuner. Bed en administrator i Plejeoverblik om at tildele jeres område.`));
    return;
  }
  const lists = await Promise.all(area.map(lyingIn));

  main.replaceChildren(title,
    h('p', { class: 'lead' }, `Enhederne i de kommuner, I fører tilsyn med: ${joinNames(area.map((k) => kommuner.get(k).navn))}. Listen viser alle plejeenheder og helhedsplejeenheder, der ligger i kommunerne – også dem, ingen kommune tilbyder borgerne i dag.`),
    ...area.map((k, i) => {
      const id = `tilsyn-kommune-${k}`;
      return h('section', { class: 'tilsyn-kommune', 'aria-labelledby': id },
        h('h2', { id }, `${kommuner.get(k).officieltNavn} `, h('span', { class: 'group-count' }, `(${lists[i].length} ${lists[i].length === 1 ? 'enhed' : 'enheder'})`)),
        lists[i].length
          ? h('ul', { class: 'sl-list' }, lists[i].map((e) => tilsynItem(e)))
          : h('p', {}, 'Der ligger ingen enheder i kommunen.'));
    }));
}

/** Asks for the day a påbud or forbud was lifted (default today) and lifts it. */
function liftDialog(pf, opener, onDone, app) {
  const today = todayYmd();
  const day = h('input', { type: 'date', id: 'ophaev-dato', value: today, max: today, required: true });
  const problem = h('p', { class: 'field-error', role: 'alert' });
  const form = h('form', { novalidate: true },
    h('p', {}, `${PF_LABEL[pf.type] ?? 'Påbud eller forbud'} givet ${fmtDate(pf.givet)}: »${pf.tekst.length > 160 ? `${pf.tekst.slice(0, 157)} …` : pf.tekst}«`),
    field({ label: 'Ophævet den', control: day, name: 'ophaevet', help: 'Fra den dag gælder det ikke længere og vises ikke for borgerne.' }),
    problem,
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, `Ophæv ${PF_THE[pf.type] ?? ''}`.trim()),
      h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Annuller')));
  const dlg = modal({ title: `Ophæv ${PF_THE[pf.type] ?? 'påbud eller forbud'}`, body: form, opener });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    problem.textContent = '';
    if (!day.value) {
      setFieldErrors(form, { ophaevet: ['Vælg dagen, det blev ophævet.'] });
      focus(day);
      return;
    }
    try {
      await gql(LIFT, { id: pf.id, ophaevet: day.value });
      dlg.close();
      await onDone(day.value);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') {
        dlg.close();
        app.expired(err);
        return;
      }
      setFieldErrors(form, err.fields ?? {});
      if (!Object.keys(err.fields ?? {}).length) problem.textContent = err.message;
      focus(form.querySelector('[aria-invalid="true"]') ?? day);
    }
  });
}

/** One enhed's tilsyn: the history (every tilsyn, every påbud and forbud with Ophæv for those
 * in force) and the forms "Registrér tilsyn" and "Giv påbud eller forbud". */
export async function renderTilsynEnhed(main, app, id) {
  let d = await gql(HISTORY, { id });
  if (!d.enhed) throw new ApiError([{ message: 'Enheden findes ikke.', extensions: { code: 'NOT_FOUND' } }]);
  const enhedId = d.enhed.enhedId;
  const history = h('section', { class: 'card', id: 'tilsyn-historik', 'aria-labelledby': 'historik-titel' });

  function drawHistory() {
    const e = d.enhed;
    const hist = d.tilsynHistorik;
    const inForce = new Set((e.tilsyn?.paabudForbud ?? []).map((p) => p.id));
    const tilsynTable = hist.tilsyn.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'tilsyn-tabel' },
        h('caption', { class: 'sr-only' }, 'Registrerede tilsyn, seneste først'),
        h('thead', {}, h('tr', {}, ['Dato', 'Samlet vurdering', 'Sammenfatning', 'Rapport'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, hist.tilsyn.map((t, i) => h('tr', {},
          h('td', {}, fmtDate(t.dato), i === 0 ? [h('br'), h('span', { class: 'badge ok' }, 'Vises for borgerne')] : null),
          h('td', {}, t.vurdering),
          h('td', { class: 'pre' }, t.sammenfatning),
          h('td', {}, t.rapportUrl ? h('a', { href: t.rapportUrl, rel: 'noopener noreferrer', target: '_blank' }, 'Rapporten', h('span', { class: 'sr-only' }, ` fra ${fmtDate(t.dato)} (åbner i en ny fane)`)) : '–'))))))
      : h('p', { id: 'tilsyn-ingen' }, 'Der er ikke registreret tilsyn med enheden.');
    const pfTable = hist.paabudForbud.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'paabud-tabel' },
        h('caption', { class: 'sr-only' }, 'Påbud og forbud, senest givne først'),
        h('thead', {}, h('tr', {}, ['Type', 'Tekst', 'Givet', 'Status', 'Handling'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, hist.paabudForbud.map((pf) => h('tr', { 'data-id': pf.id },
          h('td', {}, PF_LABEL[pf.type] ?? '–'),
          h('td', { class: 'pre' }, pf.tekst),
          h('td', {}, fmtDate(pf.givet)),
          h('td', {}, inForce.has(pf.id)
            ? h('span', { class: 'badge off' }, 'I kraft')
            : pf.ophaevet ? `Ophævet ${fmtDate(pf.ophaevet)}` : 'Ikke i kraft'),
          h('td', {}, inForce.has(pf.id)
            ? h('button', {
              type: 'button', class: 'secondary small',
              onclick: (ev) => liftDialog(pf, ev.currentTarget, async (day) => {
                await refresh();
                status(`${capital(PF_THE[pf.type] ?? 'påbuddet eller forbuddet')} er ophævet den ${fmtDate(day)}${day <= todayYmd() ? ' og vises ikke længere for borgerne' : ''}.`);
                focus(document.getElementById('paabud-titel'));
              }, app),
              'aria-label': `Ophæv ${PF_THE[pf.type] ?? ''} fra ${fmtDate(pf.givet)}`,
            }, 'Ophæv')
            : '–'))))))
      : h('p', { id: 'paabud-ingen' }, 'Enheden har ikke fået påbud eller forbud.');
    replace(history,
      h('h2', { id: 'historik-titel' }, 'Historik'),
      h('p', { class: 'help' }, 'Borgerne ser det seneste tilsyn og de påbud og forbud, der er i kraft i dag.'),
      h('h3', { id: 'tilsyn-titel', tabindex: '-1' }, 'Tilsyn'),
      tilsynTable,
      h('h3', { id: 'paabud-titel', tabindex: '-1' }, 'Påbud og forbud'),
      pfTable);
  }
  async function refresh() {
    d = await gql(HISTORY, { id: enhedId });
    drawHistory();
  }
  drawHistory();

  // Registrér tilsyn
  const today = todayYmd();
  const dato = h('input', { type: 'date', id: 'tilsyn-dato', value: today, max: today, required: true });
  const vurdering = h('input', { type: 'text', id: 'tilsyn-vurdering', list: 'tilsyn-vurderinger', maxlength: '200', autocomplete: 'off', required: true });
  const sammenfatning = h('textarea', { id: 'tilsyn-sammenfatning', rows: '5', maxlength: '4000', required: true });
  const rapport = h('input', { type: 'url', id: 'tilsyn-rapport', autocomplete: 'off' });
  const tilsynForm = h('form', { class: 'card', id: 'tilsyn-form', 'aria-labelledby': 'tilsyn-form-titel', novalidate: true },
    h('h2', { id: 'tilsyn-form-titel' }, 'Registrér tilsyn'),
    h('p', { class: 'help' }, 'Det seneste tilsyn vises for borgerne, så snart det er registreret.'),
    h('datalist', { id: 'tilsyn-vurderinger' }, VURDERINGER.map((v) => h('option', { value: v }))),
    h('div', { class: 'grid' },
      field({ label: 'Dato', control: dato, name: 'dato', help: 'Dagen for tilsynsbesøget.' }),
      field({ label: 'Samlet vurdering', control: vurdering, name: 'vurdering', help: 'Med tilsynets egne ord, eller et af forslagene.' }),
      field({ label: 'Sammenfatning', control: sammenfatning, name: 'sammenfatning', help: 'En kort sammenfatning af den skriftlige tilbagemelding.', wide: true }),
      field({ label: 'Link til rapport', control: rapport, name: 'rapportUrl', help: 'Valgfrit. En fuld adresse, fx https://aeldretilsyn.dk/rapport.pdf.' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'tilsyn-registrer' }, 'Registrér tilsyn')));
  tilsynForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!dato.value) {
      reportError(new ApiError([{ message: 'Vælg datoen for tilsynet.', extensions: { code: 'VALIDATION', fields: ['dato'] } }]), app, tilsynForm);
      return;
    }
    try {
      const t = (await gql(REGISTER_TILSYN, {
        id: enhedId,
        input: { dato: dato.value, vurdering: vurdering.value, sammenfatning: sammenfatning.value, rapportUrl: rapport.value.trim() || null },
      })).registerTilsyn;
      setFieldErrors(tilsynForm, {});
      vurdering.value = '';
      sammenfatning.value = '';
      rapport.value = '';
      await refresh();
      status(`Tilsynet den ${fmtDate(t.dato)} er registreret.`);
      focus(document.getElementById('tilsyn-titel'));
    } catch (err) {
      reportError(err, app, tilsynForm);
    }
  });

  // Giv påbud eller forbud
  const type = select(Object.entries(PF_LABEL), 'PAABUD', { id: 'pf-type' });
  const tekst = h('textarea', { id: 'pf-tekst', rows: '4', maxlength: '2000', required: true });
  const givet = h('input', { type: 'date', id: 'pf-givet', value: today, max: today, required: true });
  const ophaevet = h('input', { type: 'date', id: 'pf-ophaevet', max: today });
  const give = h('button', { type: 'submit', id: 'pf-giv' }, 'Giv påbud');
  type.addEventListener('change', () => { give.textContent = `Giv ${PF_LABEL[type.value].toLowerCase()}`; });
  const pfForm = h('form', { class: 'card', id: 'paabud-form', 'aria-labelledby': 'paabud-form-titel', novalidate: true },
    h('h2', { id: 'paabud-form-titel' }, 'Giv påbud eller forbud'),
    h('p', { class: 'help' }, 'Et påbud eller forbud vises for borgerne, fra den dag det er givet, til den dag det ophæves.'),
    h('div', { class: 'grid' },
      field({ label: 'Type', control: type, name: 'type' }),
      field({ label: 'Tekst', control: tekst, name: 'tekst', help: 'Hvad påbuddet eller forbuddet går ud på.', wide: true }),
      field({ label: 'Givet', control: givet, name: 'givet' }),
      field({ label: 'Ophævet', control: ophaevet, name: 'ophaevet', help: 'Kun hvis det allerede er ophævet.' })),
    h('div', { class: 'actions' }, give));
  pfForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!givet.value) {
      reportError(new ApiError([{ message: 'Vælg dagen, det blev givet.', extensions: { code: 'VALIDATION', fields: ['givet'] } }]), app, pfForm);
      return;
    }
    try {
      await gql(GIVE, { id: enhedId, input: { type: type.value, tekst: tekst.value, givet: givet.value, ophaevet: ophaevet.value || null } });
      setFieldErrors(pfForm, {});
      const what = capital(PF_THE[type.value]);
      tekst.value = '';
      ophaevet.value = '';
      await refresh();
      status(`${what} er registreret.`);
      focus(document.getElementById('paabud-titel'));
    } catch (err) {
      reportError(err, app, pfForm);
    }
  });

  const e = d.enhed;
  main.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Brødkrumme' }, h('ol', {},
      app.isTilsynOnly
        ? h('li', {}, h('a', { href: '#/tilsyn' }, 'Tilsyn'))
        : [h('li', {}, h('a', { href: '#/enheder' }, 'Enheder')), h('li', {}, h('a', { href: `#/enhed/${encodeURIComponent(enhedId)}` }, e.navn))],
      h('li', { 'aria-current': 'page' }, app.isTilsynOnly ? e.navn : 'Tilsyn'))),
    h('h1', { id: 'side-titel', tabindex: '-1' }, `Tilsyn med ${e.navn}`),
    h('p', { class: 'lead' }, [KIND_LABEL[e.kind], placeOf(e), e.kommune?.officieltNavn].filter(Boolean).join(' · ')),
    history, tilsynForm, pfForm);
}
