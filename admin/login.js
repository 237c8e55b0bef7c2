// Login. In production the token comes from the identity provider (SEB) through the gateway in
// front of the service: either the gateway adds `Authorization: Bearer` to /graphql itself (the
// console then finds the user logged in at once), or the user pastes the token here. With
// `serve --dev-tokens` a development login form gets a token from POST /admin/dev-token.
import { ApiError, devToken, setToken } from './api.js';
import { field, focus, h, select, setFieldErrors, showError } from './dom.js';

export function renderLogin(main, { devLogin, onToken }) {
  const forms = [];
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
    h('p', {}, 'Normalt logger du ind via SEB, og adgangen følger med automatisk. Har du fået et token fra identitetsudbyderen, kan du indsætte det her. Det gemmes kun i denne browserfane.'),
    field({ label: 'Token', control: token, name: 'token' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: devLogin ? 'secondary' : '' }, 'Brug token')));
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
