// Login. With OpenID Connect configured on the server (data-oidc="true") the first way is the
// identity provider's own login: /auth/login sends the person there and back, and the server
// keeps the session (an HttpOnly cookie; see api.js). Otherwise the token comes from the
// identity provider (SEB) through the gateway in front of the service: either the gateway adds
// `Authorization: Bearer` to /graphql itself (the console then finds the user logged in at
// once), or the user pastes the token here. With `serve --dev-tokens` a development login form
// gets a token from POST /admin/dev-token.
//
// When a session ends while the person works, `askToLogInAgain` opens the login in a popup
// (the page they are on, with what they typed, stays as it is); the console loaded in the popup
// at #logget-ind tells this window (`announceLogin`) and closes.
import { ApiError, devToken, readSession, setToken } from './api.js';
import { field, focus, h, modal, nextId, select, setFieldErrors, showError } from './dom.js';

/** The login at the identity provider, back at `returnTo` (a path under /admin). */
export function loginUrl(returnTo) {
  return `/auth/login?return_to=${encodeURIComponent(returnTo)}`;
}

/** Logging in again in a popup: back at the console's #logget-ind. */
const RELOGIN_URL = '/auth/login?return_to=/admin/%23logget-ind';
/** What the popup says to the window that opened it (and to other tabs of the console). */
const LOGGED_IN = 'plejeoverblik:logget-ind';
const CHANNEL = 'plejeoverblik-login';

/** Where to come back to after the login: this page and its view (not an in-page anchor). */
function here() {
  const path = location.pathname.startsWith('/admin') ? location.pathname : '/admin/';
  return location.hash.startsWith('#/') ? `${path}${location.hash}` : path;
}

export function renderLogin(main, { devLogin, oidc, onToken }) {
  const forms = [];
  if (oidc) {
    forms.push(h('section', { class: 'card', 'aria-labelledby': 'oidc-login-titel' },
      h('h2', { id: 'oidc-login-titel' }, 'Log ind'),
      h('p', {}, 'Log ind med din bruger hos identitetsudbyderen. Du sendes videre til dens login og kommer tilbage hertil, når du er logget ind.'),
      h('div', { class: 'actions' }, h('button', {
        type: 'button', id: 'oidc-login', onclick: () => location.assign(loginUrl(here())),
      }, 'Log ind med identitetsudbyderen'))));
  }
  if (devLogin) {
    const role = select([
      ['driftsoverenskomstansvarlig', 'Driftsoverenskomstansvarlig'],
      ['redaktoer', 'Redaktør'],
      ['administrator', 'Administrator'],
      ['aeldretilsyn', 'Ældretilsyn'],
    ], 'driftsoverenskomstansvarlig', { id: 'login-rolle', name: 'role' });
    const cvr = h('input', {
      id: 'login-cvr', type: 'text', inputmode: 'numeric', autocomplete: 'off', required: true,
      maxlength: '8', pattern: '[0-9]{8}', value: '29189404', name: 'cvr',
    });
    const name = h('input', { id: 'login-navn', type: 'text', autocomplete: 'name', maxlength: '100', required: true, name: 'name' });
    const form = h('form', { class: 'card', 'aria-labelledby': 'dev-login-titel', novalidate: true },
      h('h2', { id: 'dev-login-titel' }, 'Udviklingslogin'),
      h('p', {}, 'Serveren kører med udviklingstokens (--dev-tokens). Vælg en rolle og en organisation; du får et token, der gælder i 8 timer.'),
      field({ label: 'Rolle', control: role, name: 'role' }),
      field({ label: 'CVR-nummer', control: cvr, name: 'cvr', help: 'Organisationens 8 cifre, fx 29189404 (Roskilde Kommune) eller 90000001 (De varme hænder, demo). Et ældretilsyn logger ind med sit eget CVR-nummer.' }),
      field({ label: 'Navn', control: name, name: 'name', help: 'Dit navn, som kolleger ser det ved låse og versioner.' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Log ind')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const errors = {};
      if (!/^[0-9]{8}$/.test(cvr.value.trim())) errors.cvr = ['CVR-nummeret skal være 8 cifre.'];
      if (!name.value.trim()) errors.name = ['Skriv dit navn.'];
      setFieldErrors(form, errors);
      if (Object.keys(errors).length) {
        showError('Log ind mislykkedes: ret felterne markeret med fejl.');
        focus(form.querySelector('[aria-invalid="true"]'));
        return;
      }
      try {
        const token = await devToken({ role: role.value, cvr: cvr.value.trim(), name: name.value.trim() });
        await onToken(token);
      } catch (e) {
        showError(e instanceof ApiError ? e : String(e));
      }
    });
    forms.push(form);
  }

  const token = h('input', { id: 'login-token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const tokenForm = h('form', { class: 'card', 'aria-labelledby': 'token-login-titel', novalidate: true },
    h('h2', { id: 'token-login-titel' }, 'Log ind med token'),
    h('p', {}, oidc
      ? 'Har du fået et token fra identitetsudbyderen, kan du i stedet indsætte det her. Det gemmes kun i denne browserfane.'
      : 'Normalt logger du ind via SEB, og adgangen følger med automatisk. Har du fået et token fra identitetsudbyderen, kan du indsætte det her. Det gemmes kun i denne browserfane.'),
    field({ label: 'Token', control: token, name: 'token' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: devLogin || oidc ? 'secondary' : '' }, 'Brug token')));
  tokenForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!token.value.trim()) {
      setFieldErrors(tokenForm, { token: ['Indsæt et token.'] });
      focus(token);
      return;
    }
    setFieldErrors(tokenForm, {});
    try {
      await onToken(token.value);
    } catch (e) {
      showError(e);
    }
  });
  forms.push(tokenForm);

  main.replaceChildren(
    h('h1', { id: 'side-titel', tabindex: '-1' }, 'Log ind'),
    h('p', { class: 'lead' }, 'Her registrerer kommunernes driftsoverenskomstansvarlige serviceleverancer, leverandørernes redaktører beskrivelser og profiler, ældretilsynet tilsyn, og administratorer enheder og kommuner.'),
    h('div', { class: 'login-grid' }, forms));
}

/** Forgets the token. */
export function logout() {
  setToken('');
}

/**
 * The session has ended while the person works: a dialog says so (what they typed is kept) and
 * opens the login in a popup. Resolves to true once a session of the same person (`subject`) is
 * back, false when they close the dialog, or an ApiError when someone else logged in.
 */
export function askToLogInAgain({ subject }) {
  return new Promise((resolve) => {
    let outcome = false;
    let popup = null;
    let checking = false;
    const noteId = nextId('relogin-note');
    const note = h('p', { class: 'help', id: noteId, role: 'status' });
    const again = h('button', { type: 'button', id: 'log-ind-igen', 'aria-describedby': noteId }, 'Log ind igen');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Annuller');
    const body = h('div', {},
      h('p', {}, 'Du er blevet logget ud, fordi din session er udløbet. Dine ændringer er ikke gået tabt: det, du har skrevet, står stadig i felterne.'),
      h('p', {}, 'Log ind igen i et nyt vindue. Når du er logget ind, lukker vinduet af sig selv, og det, du var i gang med, bliver gjort færdigt.'),
      note,
      h('div', { class: 'actions' }, again, cancel));

    const say = (...parts) => note.replaceChildren(...parts);
    async function check() {
      if (checking || !dlg.dialog.open) return;
      checking = true;
      try {
        const s = await readSession();
        if (!s) {
          say('Du er ikke logget ind endnu. Log ind i det andet vindue, eller tryk »Log ind igen«.');
          return;
        }
        if (subject && s.subject !== subject) {
          outcome = new ApiError([{
            message: `Du loggede ind som ${s.name || s.subject}, ikke som den, der var logget ind før. Det, du har skrevet, står stadig i felterne, men kan ikke gemmes under en anden bruger: kopiér det, og genindlæs siden.`,
            extensions: { code: 'SESSION_EXPIRED' },
          }]);
        } else {
          outcome = true;
        }
        dlg.close();
      } catch (e) {
        say(e.message);
      } finally {
        checking = false;
      }
    }
    const onMessage = (ev) => {
      if (ev.origin === location.origin && ev.data?.type === LOGGED_IN) check();
    };
    window.addEventListener('message', onMessage);
    let channel = null;
    try {
      channel = new BroadcastChannel(CHANNEL);
      channel.onmessage = (ev) => { if (ev.data?.type === LOGGED_IN) check(); };
    } catch {
      channel = null;
    }
    // A popup closed without a word (or one whose opener the provider's pages cut off): ask the
    // server whether the session is back.
    const watch = setInterval(() => {
      if (popup && popup.closed) {
        popup = null;
        check();
      }
    }, 800);

    again.addEventListener('click', () => {
      popup = window.open(RELOGIN_URL, 'plejeoverblik-login', 'popup,width=560,height=720');
      if (popup) {
        popup.focus();
        say('Venter på, at du logger ind i det nye vindue …');
      } else {
        say('Vinduet kunne ikke åbnes: din browser blokerer pop op-vinduer. Tillad dem for denne side, eller ',
          h('a', { href: RELOGIN_URL, target: '_blank', rel: 'noopener' }, 'log ind i en ny fane'), '.');
      }
    });
    cancel.addEventListener('click', () => dlg.close());
    const dlg = modal({
      title: 'Din session er udløbet',
      body,
      opener: document.activeElement instanceof HTMLElement ? document.activeElement : null,
      onClose() {
        clearInterval(watch);
        window.removeEventListener('message', onMessage);
        channel?.close();
        resolve(outcome);
      },
    });
    again.focus();
  });
}

/**
 * The console loaded at #logget-ind after a login: tells the window that opened this popup (and
 * any other tab of the console) that the session is back. In a popup it closes itself (and says
 * so, should the browser keep it open) and returns true; without an opener (a tab of its own)
 * it returns false, and the console starts as usual.
 */
export function announceLogin(main) {
  const message = { type: LOGGED_IN };
  try {
    const c = new BroadcastChannel(CHANNEL);
    c.postMessage(message);
    c.close();
  } catch {
    // Only the opener is told.
  }
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  let opener = null;
  try {
    opener = window.opener && !window.opener.closed ? window.opener : null;
  } catch {
    opener = null;
  }
  if (!opener) return false;
  try {
    opener.postMessage(message, location.origin);
  } catch {
    // The channel above told it.
  }
  document.title = 'Du er logget ind igen – Plejeoverblik administration';
  main.replaceChildren(
    h('h1', { id: 'side-titel', tabindex: '-1' }, 'Du er logget ind igen'),
    h('p', {}, 'Du kan lukke dette vindue og fortsætte i vinduet, hvor du var i gang.'),
    h('p', {}, h('a', { href: '/admin/' }, 'Åbn administrationen i dette vindue i stedet')));
  window.close();
  return true;
}
