// The admin console: login, the menu for the viewer's roles, and the views behind #/ routes.
import { ApiError, endSession, forgetSession, getToken, gql, inSession, onSessionExpired, readSession, setToken } from './api.js';
import { ROLE_LABEL, choose, clearMessages, focus, h, showError, status } from './dom.js';
import { announceLogin, askToLogInAgain, logout, renderLogin } from './login.js';
import { CHECK_IN_ONLY, MY_LOCKS, renderSlDetail, renderSlList } from './serviceleverancer.js';
import { renderEnhed, renderEnhedList, renderTilsynEnhed, renderTilsynList } from './enheder.js';
import { renderAeldretilsyn, renderAudit, renderKommuner } from './system.js';
import { renderWorklist } from './worklist.js';

const VIEWER = `query Viewer { viewer { authenticated subject name cvr roles kommune { kode navn officieltNavn } } }`;

const main = document.getElementById('indhold');
const menu = document.getElementById('menu');
const devLogin = document.body.dataset.devLogin === 'true';
// The server logs in through OpenID Connect (/auth/login) and keeps a session.
const oidc = document.body.dataset.oidc === 'true';
const NO_ROLES = 'Din bruger har ingen af rollerne driftsoverenskomstansvarlig, redaktør, ældretilsyn eller administrator. Kontakt din SEB-brugeradministrator.';

/** What every view gets: the viewer, its roles, and navigation. */
const app = {
  viewer: null,
  get roles() { return this.viewer?.roles ?? []; },
  get isAdmin() { return this.roles.includes('ADMINISTRATOR'); },
  get isKommune() { return this.roles.includes('DRIFTSOVERENSKOMSTANSVARLIG'); },
  get isRedaktoer() { return this.roles.includes('REDAKTOER'); },
  get isTilsyn() { return this.roles.includes('AELDRETILSYN'); },
  /** An ældretilsyn and nothing else: its start view is Tilsyn (R32), no serviceleverancer. */
  get isTilsynOnly() { return this.isTilsyn && !this.isAdmin && !this.isKommune && !this.isRedaktoer; },
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  /** Puts a view's state (its filters) in the address without navigating. */
  replaceHash(hash) {
    history.replaceState(null, '', hash);
    currentHash = hash;
  },
  /** An editor holding a lock renews it with `fn` every 20 s (R28); null stops (so does every
   * route and Log ud). */
  keepAlive(fn) {
    clearInterval(beat);
    beat = fn ? setInterval(fn, HEARTBEAT_MS) : 0;
  },
  /** An editor says how to tell whether it has unsaved changes (cleared by every route). */
  guardUnsaved(fn) {
    unsaved = fn;
  },
  /** An editor holding a lock says so: `fn` returns null, or { navn, checkIn() } (resolving to
   * whether it was checked in), so that leaving asks "Tjek ind nu / Behold låsen". */
  guardLock(fn) {
    held = fn;
  },
  /** Called by a view when it finds the session gone (UNAUTHENTICATED; SESSION_EXPIRED when
   * the person did not log in again). */
  expired(e) {
    if (inSession()) {
      forgetSession();
      start('Din session er udløbet. Log ind igen.');
      return;
    }
    setToken('');
    start(e?.message ?? 'Du er blevet logget ud.');
  },
};

function menuItems() {
  if (app.isTilsynOnly) return [['#/tilsyn', 'Tilsyn']];
  const items = [['#/', 'Serviceleverancer'], ['#/handling', 'Kræver handling']];
  if (app.isAdmin) items.push(['#/enheder', 'Enheder']);
  else if (app.isRedaktoer) items.push(['#/enheder', 'Mine enheder']);
  else if (app.isKommune && app.viewer.kommune) items.push(['#/enheder', 'Kommunens enheder']);
  if (app.isTilsyn) items.push(['#/tilsyn', 'Tilsyn']);
  if (app.isAdmin) items.push(['#/kommuner', 'Kommuner'], ['#/aeldretilsyn', 'Ældretilsyn'], ['#/log', 'Log']);
  return items;
}

function renderMenu(shown) {
  // An ældretilsyn's start page is its Tilsyn.
  const current = app.isTilsynOnly && (shown === '' || shown.startsWith('?')) ? 'tilsyn' : shown;
  menu.replaceChildren(h('ul', {}, menuItems().map(([href, label]) => {
    const here = href === '#/' ? current === '' || current.startsWith('?') || current.startsWith('sl/') : current.startsWith(href.slice(2));
    return h('li', {}, h('a', { href, 'aria-current': here ? 'page' : null }, label));
  })));
}

function renderUser(v = app.viewer) {
  const roles = v.roles.map((r) => ROLE_LABEL[r] ?? r).join(', ');
  const org = v.kommune ? `${v.kommune.officieltNavn}, CVR ${v.cvr}` : v.cvr ? `CVR ${v.cvr}` : '';
  document.getElementById('bruger-tekst').textContent = [v.name ?? v.subject, roles, org].filter(Boolean).join(' · ');
  document.getElementById('bruger').hidden = false;
  menu.hidden = false;
}

// Whether the open editor has changes that are not saved: leaving by the menu, a breadcrumb,
// Back, Log ud or closing the tab asks first (issue 20).
let unsaved = () => false;
// The lock the open editor holds, if any (see `app.guardLock`).
let held = () => null;
// R28: the lock lives while the editor is open; the server lets it lapse 15 minutes after the
// last renewal, and a renewal refused tells the holder at once that it is gone.
const HEARTBEAT_MS = 20_000;
let beat = 0;
const LEAVE = 'Du har ændringer, der ikke er gemt. Vil du forlade siden og miste dem?';
let currentHash = location.hash;

let routing = 0;
async function route() {
  unsaved = () => false;
  held = () => null;
  app.keepAlive(null);
  currentHash = location.hash;
  if (!app.viewer) return;
  const hash = location.hash;
  if (hash && !hash.startsWith('#/')) return; // the skip link and other in-page anchors
  const full = hash.replace(/^#\/?/, '');
  renderMenu(full);
  // A view's filters ride in the hash after `?` (`#/?tekst=...`), so a reload keeps them.
  const [path, query = ''] = full.split('?');
  const params = new URLSearchParams(query);
  const mine = ++routing;
  const parts = path.split('/').map(decodeURIComponent);
  try {
    if ((path === '' || parts[0] === 'tilsyn') && app.isTilsynOnly && !parts[1]) await renderTilsynList(main, app);
    else if (parts[0] === 'tilsyn' && parts[1] && (app.isTilsyn || app.isAdmin)) await renderTilsynEnhed(main, app, parts[1]);
    else if (parts[0] === 'tilsyn' && app.isTilsyn) await renderTilsynList(main, app);
    else if (path === '' || path === 'sl') await renderSlList(main, app, params);
    else if (parts[0] === 'handling') await renderWorklist(main, app);
    else if (parts[0] === 'sl' && parts[1]) await renderSlDetail(main, app, parts[1]);
    else if (parts[0] === 'enheder') await renderEnhedList(main, app);
    else if (parts[0] === 'enhed' && parts[1]) await renderEnhed(main, app, parts[1]);
    else if (parts[0] === 'kommuner' && app.isAdmin) await renderKommuner(main, app);
    else if (parts[0] === 'aeldretilsyn' && app.isAdmin) await renderAeldretilsyn(main, app);
    else if (parts[0] === 'log' && app.isAdmin) await renderAudit(main, app);
    else {
      main.replaceChildren(h('h1', { id: 'side-titel' }, 'Siden findes ikke'), h('p', {}, h('a', { href: '#/' }, 'Til serviceleverancerne')));
    }
  } catch (e) {
    if (mine !== routing) return;
    if (e instanceof ApiError && (e.code === 'UNAUTHENTICATED' || e.code === 'SESSION_EXPIRED')) return app.expired(e);
    main.replaceChildren(h('h1', { id: 'side-titel', tabindex: '-1' }, 'Der opstod en fejl'), h('p', {}, e.message));
    showError(e);
  }
  if (mine === routing) {
    titleFromHeading();
    focus(document.getElementById('side-titel'));
  }
}

/** Each view's title is its heading (the browser tab, history and screen readers tell views
 * apart by it). */
function titleFromHeading() {
  const heading = document.getElementById('side-titel')?.textContent?.trim();
  document.title = heading ? `${heading} – Plejeoverblik administration` : 'Plejeoverblik administration';
}

async function start(message) {
  app.viewer = null;
  let viewer = null;
  forgetSession();
  if (oidc) {
    // A session (OpenID Connect login) comes first: it replaces a token this tab may hold.
    try {
      await readSession();
    } catch (e) {
      message ??= e.message;
    }
  }
  try {
    // Without a token of our own: a gateway in front may add Authorization itself.
    viewer = (await gql(VIEWER, {}, { quiet: true })).viewer;
  } catch (e) {
    if (inSession()) {
      forgetSession();
      message = 'Din session er udløbet. Log ind igen.';
    } else if (getToken()) {
      setToken('');
      message = e.message;
    }
  }
  if (viewer?.authenticated && inSession() && !viewer.roles.length) {
    // Logged in at the identity provider, but no role here: say so, with Log ud at hand.
    renderUser(viewer);
    menu.hidden = true;
    document.title = 'Ingen adgang – Plejeoverblik administration';
    main.replaceChildren(h('h1', { id: 'side-titel', tabindex: '-1' }, 'Ingen adgang'), h('p', {}, NO_ROLES));
    focus(document.getElementById('side-titel'));
    return;
  }
  if (viewer?.authenticated) {
    app.viewer = viewer;
    renderUser();
    if (message) status(message);
    await route();
    return;
  }
  document.getElementById('bruger').hidden = true;
  menu.hidden = true;
  document.title = 'Log ind – Plejeoverblik administration';
  renderLogin(main, {
    devLogin,
    oidc,
    async onToken(token) {
      setToken(token);
      const v = (await gql(VIEWER)).viewer;
      if (!v.authenticated) throw new ApiError([{ message: 'Tokenet gav ikke adgang.' }]);
      if (!v.roles.length) {
        setToken('');
        throw new ApiError([{ message: NO_ROLES }]);
      }
      app.viewer = v;
      clearMessages();
      renderUser();
      status(`Du er logget ind som ${v.name ?? v.subject}.`);
      if (location.hash && location.hash !== '#/') await route();
      else app.go('#/');
    },
  });
  if (message) showError(message);
  focus(document.getElementById('side-titel'));
}

/** Whether to leave the open editor: unsaved changes are asked about first (the browser's own
 * question), then a lock still held: "Tjek ind nu" (the guide: very important), "Behold låsen"
 * (it lapses 15 minutes after the page is left, R28) or stay. */
async function mayLeave(opener) {
  if (unsaved() && !window.confirm(LEAVE)) return false;
  const lock = held();
  if (!lock) return true;
  const answer = await choose({
    title: 'Du har stadig låsen',
    text: `Du har »${lock.navn}« låst. Tjek den ind nu, så dine ændringer bliver en version, og dine kolleger kan rette i den. Beholder du låsen, frigives den af sig selv 15 minutter efter, at du har forladt siden.`,
    choices: [
      { value: 'checkin', label: 'Tjek ind nu', kind: 'primary' },
      { value: 'keep', label: 'Behold låsen' },
      { value: 'stay', label: 'Bliv på siden' },
    ],
    opener,
  });
  if (answer === 'checkin') return lock.checkIn();
  return answer === 'keep';
}

// A link within the console is asked about before it navigates, so that staying leaves no
// entry in the history; Back and Forward are asked about in `hashchange`.
document.addEventListener('click', (ev) => {
  const a = ev.target instanceof Element ? ev.target.closest('a[href^="#/"]') : null;
  if (!a || (!unsaved() && !held())) return;
  ev.preventDefault();
  const target = a.getAttribute('href');
  mayLeave(a).then((ok) => {
    if (!ok) return;
    unsaved = () => false;
    held = () => null;
    app.go(target);
  });
}, true);
let asking = false;
window.addEventListener('hashchange', () => {
  // In-page anchors (the skip link) are no navigation.
  if (location.hash && !location.hash.startsWith('#/')) return;
  if (asking) return;
  if (unsaved() || held()) {
    const target = location.hash;
    history.replaceState(null, '', currentHash || '#/');
    asking = true;
    mayLeave(null).then((ok) => {
      asking = false;
      if (!ok) return;
      unsaved = () => false;
      held = () => null;
      app.go(target);
    });
    return;
  }
  route();
});
window.addEventListener('beforeunload', (ev) => {
  if (unsaved()) {
    ev.preventDefault();
    ev.returnValue = '';
  }
});
// Ctrl+S (⌘S) saves the open editor wherever focus is, also on its buttons after a save; in the
// console the browser's "Gem side som" is never what is meant.
document.addEventListener('keydown', (ev) => {
  if (!(ev.ctrlKey || ev.metaKey) || ev.altKey || ev.key.toLowerCase() !== 's') return;
  ev.preventDefault();
  const save = main.querySelector('#sl-gem, #enhed-gem');
  if (save && !save.disabled && save.getClientRects().length) save.click();
  else status('Der er intet at gemme her.');
});
/** Log ud: unsaved changes and the editor's lock as when leaving, then every other lock the
 * user still holds (other tabs, earlier days): check them in, or keep them. */
document.getElementById('log-ud').addEventListener('click', async (ev) => {
  const button = ev.currentTarget;
  // The editor's own lock is among the locks asked about below.
  if (unsaved() && !window.confirm(LEAVE)) return;
  unsaved = () => false;
  held = () => null;
  let mine = [];
  try {
    mine = app.viewer ? await myLocks() : [];
  } catch {
    // Logging out does not wait for a list it cannot get.
  }
  if (mine.length) {
    const answer = await choose({
      title: 'Du har låste serviceleverancer',
      text: `Du har ${mine.length} ${mine.length === 1 ? 'låst serviceleverance' : 'låste serviceleverancer'}. Tjek ${mine.length === 1 ? 'den' : 'dem'} ind nu, så dine kolleger kan rette ${mine.length === 1 ? 'den' : 'dem'}, eller behold låsen.`,
      extra: h('ul', {}, mine.map((sl) => h('li', {}, sl.navn))),
      choices: [
        { value: 'checkin', label: 'Tjek ind nu', kind: 'primary' },
        { value: 'keep', label: 'Behold låsen og log ud' },
        { value: 'stay', label: 'Annuller' },
      ],
      opener: button,
    });
    if (answer !== 'checkin' && answer !== 'keep') return;
    if (answer === 'checkin') {
      for (const sl of mine) {
        try {
          await gql(CHECK_IN_ONLY, { id: sl.id, rev: sl.revision });
        } catch (e) {
          showError(`»${sl.navn}« kunne ikke tjekkes ind: ${e.message}`);
          return;
        }
      }
    }
  }
  app.keepAlive(null);
  if (inSession()) {
    // The server ends the session at once; then the identity provider's own log out.
    let to = null;
    try {
      to = await endSession();
    } catch (e) {
      showError(e);
      return;
    }
    if (to) {
      location.assign(to);
      return;
    }
  }
  logout();
  location.hash = '';
  await start();
  status('Du er logget ud.');
});

/** The serviceleverancer the viewer holds the lock of (the first 100 locked ones in scope). */
async function myLocks() {
  if (app.isTilsynOnly) return [];
  const d = await gql(MY_LOCKS, {}, { quiet: true });
  return d.serviceleverancer.nodes.filter((sl) => sl.laas?.subject === app.viewer?.subject);
}
document.getElementById('skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  focus(main);
});
// A session that ends while the person works: log in again in a popup, then go on.
onSessionExpired(() => askToLogInAgain({ subject: app.viewer?.subject ?? null }));
// The console in that popup, back from the login, tells its opener and closes.
if (!(location.hash === '#logget-ind' && announceLogin(main))) start();
