// The administrator's pages: the kommuner's CVR numbers and the audit log (paged).
import { ApiError, gql } from './api.js';
import { ROLE_LABEL, field, fmtTime, focus, h, replace, select, setFieldErrors, showError, status } from './dom.js';

const KOMMUNER = `query Kommuner { kommuner { kode navn officieltNavn region cvr } }`;
const SET_CVR = `mutation SetKommuneCvr($kode: String!, $cvr: String!) { setKommuneCvr(kode: $kode, cvr: $cvr) { kode navn region cvr } }`;
const AUDIT = `query Log($entityType: String, $entityId: String, $actor: String, $after: String) {
  auditLog(entityType: $entityType, entityId: $entityId, actor: $actor, first: 25, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id at actorSubject actorName actorCvr actorRoles action entityType entityId before after }
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
};

export async function renderAudit(main, app) {
  const entityType = select([['', 'Alle'], ['Serviceleverance', 'Serviceleverance'], ['Enhed', 'Enhed'], ['Kommune', 'Kommune']], '', { id: 'log-type' });
  const entityId = h('input', { id: 'log-id', type: 'text', autocomplete: 'off' });
  const actor = h('input', { id: 'log-bruger', type: 'text', autocomplete: 'off' });
  const tbody = h('tbody');
  const info = h('p', { class: 'count', id: 'log-info' });
  const pager = h('div', { class: 'actions' });
  const cursors = [null]; // the `after` of each page seen
  let filter = {};

  async function load(n) {
    const data = (await gql(AUDIT, { ...filter, after: cursors[n] })).auditLog;
    cursors[n + 1] = data.pageInfo.endCursor;
    const pages = Math.max(1, Math.ceil(data.totalCount / 25));
    replace(info, `Side ${n + 1} af ${pages} · ${data.totalCount} hændelser, nyeste først.`);
    replace(tbody, data.nodes.map((a) => h('tr', {},
      h('td', {}, fmtTime(a.at)),
      h('td', {}, a.actorName ?? a.actorSubject, h('br'), h('span', { class: 'meta' },
        [a.actorCvr ? `CVR ${a.actorCvr}` : null, a.actorRoles.split(',').filter(Boolean).map((r) => ROLE_LABEL[r] ?? r).join(', ')].filter(Boolean).join(' · '))),
      h('td', {}, ACTION_LABEL[a.action] ?? a.action, h('br'), h('code', {}, a.action)),
      h('td', {}, a.entityType, h('br'), h('code', {}, a.entityId)),
      h('td', {}, a.before || a.after ? h('details', {}, h('summary', {}, 'Før og efter'),
        h('pre', {}, `Før: ${JSON.stringify(a.before, null, 2)}\nEfter: ${JSON.stringify(a.after, null, 2)}`)) : '–'))));
    replace(pager,
      h('button', { type: 'button', class: 'secondary', disabled: n === 0, onclick: () => go(n - 1) }, 'Forrige side'),
      h('button', { type: 'button', class: 'secondary', disabled: !data.pageInfo.hasNextPage, onclick: () => go(n + 1) }, 'Næste side'));
  }
  async function go(n) {
    try {
      await load(n);
      status(info.textContent);
      focus(info);
    } catch (e) {
      fail(e, app);
    }
  }
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filtrér loggen' },
    field({ label: 'Type', control: entityType }),
    field({ label: 'Id', control: entityId, help: 'Fx en serviceleverances id eller en enheds id.' }),
    field({ label: 'Bruger (subject)', control: actor }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Vis')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    filter = { entityType: entityType.value || null, entityId: entityId.value.trim() || null, actor: actor.value.trim() || null };
    cursors.length = 1;
    await go(0);
  });
  await load(0);
  main.replaceChildren(
    h('h1', { id: 'side-titel', tabindex: '-1' }, 'Log'),
    h('p', { class: 'lead' }, 'Alle ændringer: hvem, hvad, hvornår, og felterne før og efter.'),
    form, info,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' }, h('caption', { class: 'sr-only' }, 'Loghændelser'),
      h('thead', {}, h('tr', {}, ['Tidspunkt', 'Hvem', 'Handling', 'Element', 'Detaljer'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)),
    pager);
}
