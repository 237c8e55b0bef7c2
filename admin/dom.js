// Small DOM helpers: elements from data (never from HTML strings), Danish formats, the status
// and error live regions, and focus.

const PROPS = new Set(['value', 'checked', 'disabled', 'readOnly', 'hidden', 'selected', 'open', 'required', 'multiple']);

/** Creates an element: `h('button', { class: 'x', onclick: f, 'aria-label': 'y' }, 'text', child)`. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const timeFormat = new Intl.DateTimeFormat('da-DK', {
  day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Copenhagen',
});
const dateFormat = new Intl.DateTimeFormat('da-DK', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** An instant (RFC 3339) as Copenhagen time: "12.03.2026 kl. 10.15". */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = Object.fromEntries(timeFormat.formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.day}.${parts.month}.${parts.year} kl. ${parts.hour}.${parts.minute}`;
}

/** A calendar day (YYYY-MM-DD) as "1. marts 2026". */
export function fmtDate(ymd) {
  if (!ymd) return '';
  const d = new Date(`${ymd}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? ymd : dateFormat.format(d);
}

export const TYPE_LABEL = {
  DRIFTSOVERENSKOMST: 'Driftsoverenskomst',
  MYNDIGHEDSPRODUKTION: 'Myndighedsproduktion',
  LOKALPLEJEHJEM: 'Lokalplejehjem',
  FRIPLEJEBOLIG: 'Friplejebolig',
};
export const KIND_LABEL = { PLEJEENHED: 'Plejeenhed', HELHEDSPLEJEENHED: 'Helhedsplejeenhed' };
export const BOLIGTYPE_LABEL = { PLEJEBOLIG: 'Plejebolig', FRIPLEJEBOLIG: 'Friplejebolig', LOKALPLEJEHJEM: 'Lokalplejehjem' };
export const ROLE_LABEL = {
  DRIFTSOVERENSKOMSTANSVARLIG: 'Driftsoverenskomstansvarlig',
  REDAKTOER: 'Redaktør',
  ADMINISTRATOR: 'Administrator',
  AELDRETILSYN: 'Ældretilsyn',
};

let statusTimer;
/** A status message in the polite live region (and clears the error region). */
export function status(message) {
  const el = document.getElementById('status');
  const err = document.getElementById('fejl');
  err.replaceChildren();
  err.classList.remove('shown');
  clearTimeout(statusTimer);
  el.replaceChildren();
  el.classList.toggle('shown', Boolean(message));
  // A new text node a moment later, so that a repeated message is announced again.
  statusTimer = setTimeout(() => { if (message) el.textContent = message; }, 30);
}

/** An error message (the API's Danish message) in the assertive live region; `extra` nodes after it. */
export function showError(error, ...extra) {
  const el = document.getElementById('fejl');
  const st = document.getElementById('status');
  st.replaceChildren();
  st.classList.remove('shown');
  const message = typeof error === 'string' ? error : error?.message || 'Der opstod en fejl.';
  replace(el, h('p', {}, message), ...extra);
  el.classList.add('shown');
}

export function clearMessages() {
  for (const id of ['status', 'fejl']) {
    const el = document.getElementById(id);
    el.replaceChildren();
    el.classList.remove('shown');
  }
}

/** Focuses an element (making it focusable by script when it is not). */
export function focus(el) {
  if (!el) return;
  if (!el.matches('a[href], button, input, select, textarea, summary, [tabindex]')) el.setAttribute('tabindex', '-1');
  el.focus();
}

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled form field: `field({ id, label, control, help, name })` with a help text and an
 * error slot, both tied to the control through aria-describedby. `setFieldErrors` fills the slots.
 */
export function field({ label, control, help, name, wide }) {
  const id = control.id || nextId('f');
  control.id = id;
  if (name) control.dataset.field = name;
  const helpEl = help ? h('p', { class: 'help', id: `${id}-hjaelp` }, help) : null;
  const errEl = h('p', { class: 'field-error', id: `${id}-fejl`, hidden: true });
  const described = [helpEl ? helpEl.id : null, errEl.id].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  return h('div', { class: wide ? 'field wide' : 'field', 'data-for': name ?? '' },
    h('label', { for: id }, label), control, helpEl, errEl);
}

/** Shows the API's field errors next to the fields of `form` (by data-field); clears the others.
 * A fieldset of checkboxes (`checkGroup`) marks its boxes. */
export function setFieldErrors(form, fields = {}) {
  for (const control of form.querySelectorAll('[data-field]')) {
    const messages = fields[control.dataset.field] ?? [];
    const errEl = document.getElementById(`${control.id}-fejl`);
    if (!errEl) continue;
    errEl.textContent = messages.join(' ');
    errEl.hidden = messages.length === 0;
    const marked = control.tagName === 'FIELDSET' ? [...control.querySelectorAll('input')] : [control];
    for (const m of marked) {
      if (messages.length) m.setAttribute('aria-invalid', 'true');
      else m.removeAttribute('aria-invalid');
    }
  }
}

/**
 * A group of checkboxes as one field: a fieldset with its legend, help and error slot (by
 * data-field, for `setFieldErrors`). `options` maps values to labels; returns { node, read() }
 * where `read()` gives the checked values in the options' order.
 */
export function checkGroup({ id, legend, name, options, value, disabled, help, wide = true }) {
  const chosen = new Set(value ?? []);
  const boxes = Object.entries(options).map(([code, label]) => {
    const boxId = `${id}-${code.toLowerCase().replaceAll('_', '-')}`;
    const box = h('input', { type: 'checkbox', id: boxId, value: code, checked: chosen.has(code), disabled });
    return { box, node: h('div', { class: 'check' }, box, h('label', { for: boxId }, label)) };
  });
  const helpEl = help ? h('p', { class: 'help', id: `${id}-hjaelp` }, help) : null;
  const errEl = h('p', { class: 'field-error', id: `${id}-fejl`, hidden: true });
  const node = h('fieldset', {
    class: wide ? 'checks wide' : 'checks', id, 'data-field': name ?? null,
    'aria-describedby': [helpEl?.id, errEl.id].filter(Boolean).join(' '),
  }, h('legend', {}, legend), helpEl, h('div', { class: 'check-list' }, boxes.map((b) => b.node)), errEl);
  return { node, boxes: boxes.map((b) => b.box), read: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value) };
}

const ymdFormat = new Intl.DateTimeFormat('sv-SE', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'Europe/Copenhagen' });
/** Today in Copenhagen as YYYY-MM-DD (the server's day, R6). */
export function todayYmd() {
  return ymdFormat.format(new Date());
}

/** A select with `[value, label]` options. */
export function select(options, value, props = {}) {
  return h('select', props, options.map(([v, l]) => h('option', { value: v, selected: v === (value ?? '') }, l)));
}

/** A modal dialog; returns { dialog, close }. Focus goes into it and back to `opener` when it closes. */
export function modal({ title, body, opener, onClose }) {
  const titleId = nextId('dialog-titel');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, h('h2', { id: titleId }, title), body);
  document.body.appendChild(dialog);
  const close = () => {
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose?.();
    if (opener && document.contains(opener)) opener.focus();
  });
  dialog.showModal();
  const first = dialog.querySelector('input, select, textarea, button');
  first?.focus();
  return { dialog, close };
}

/** A lock as people need to read it (R14, R28): who, since when, and whether they are at it. */
export function lockText(laas, viewer) {
  if (!laas) return 'Ikke låst.';
  if (laas.subject === viewer.subject) {
    return `Låst af dig siden ${fmtTime(laas.since)}. Låsen holdes, så længe siden er åben.`;
  }
  const who = laas.navn ?? laas.subject;
  if (laas.editingNow) return `${who} redigerer nu (låst siden ${fmtTime(laas.since)}).`;
  const seen = fmtTime(laas.lastSeen).split(' kl. ')[1];
  return `${who} låste ${fmtTime(laas.since)}, ikke aktiv siden kl. ${seen}; låsen udløber ${fmtTime(laas.until)}.`;
}

/** The editor's answer when its heartbeat finds the lock gone (taken over, freed, expired). */
export function lockLost(error, saveIds) {
  for (const id of saveIds) {
    const b = document.getElementById(id);
    if (b) b.disabled = true;
  }
  showError(`Du har ikke længere låsen. ${error.message ?? ''} Dine ændringer, der ikke er gemt, står stadig i felterne: kopiér dem, før du henter den nyeste udgave.`);
}

/** Asks before an action that cannot be taken back by the one who is not asked (taking a
 * colleague's lock, freeing it, restoring a version); resolves to whether to go on. The safe
 * choice has focus. */
export function confirmAction({ title, text, confirm, opener, extra = null }) {
  return new Promise((resolve) => {
    let answer = false;
    const form = h('form', {},
      h('p', {}, text),
      extra,
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, confirm),
        h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Annuller')));
    const dlg = modal({ title, body: form, opener, onClose: () => resolve(answer) });
    form.querySelector('button.secondary').focus();
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      answer = true;
      dlg.close();
    });
  });
}

/** What changed, field by field (the API's FieldChange list), as a table; what was and what
 * is are marked so that the change stands out also without colour. */
export function changesTable(changes, { caption, before = 'Før', after = 'Efter', empty = 'Ingen forskelle.' } = {}) {
  if (!changes.length) return h('p', { class: 'no-changes' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table changes' },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Felt'), h('th', { scope: 'col' }, before), h('th', { scope: 'col' }, after))),
    h('tbody', {}, changes.map((c) => h('tr', {},
      h('th', { scope: 'row' }, c.label),
      h('td', {}, c.before === null || c.before === undefined ? h('span', { class: 'empty' }, '(tom)') : h('del', {}, c.before)),
      h('td', {}, c.after === null || c.after === undefined ? h('span', { class: 'empty' }, '(tom)') : h('ins', {}, c.after)))))));
}

/** A question with several answers (`choices`: [{ value, label, kind }], the first the safe
 * one, which gets focus); resolves to the chosen value, or null when closed with Escape. */
export function choose({ title, text, extra = null, choices, opener }) {
  return new Promise((resolve) => {
    let answer = null;
    const buttons = choices.map((c) => h('button', {
      type: 'button', class: c.kind ?? 'secondary', 'data-value': c.value,
      onclick: () => { answer = c.value; dlg.close(); },
    }, c.label));
    const body = h('div', {}, h('p', {}, text), extra, h('div', { class: 'actions' }, buttons));
    const dlg = modal({ title, body, opener, onClose: () => resolve(answer) });
    buttons[0]?.focus();
  });
}
