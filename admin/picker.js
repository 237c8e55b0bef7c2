// The enhed picker: a combobox (WAI-ARIA 1.2 pattern, list autocomplete) over findEnheder (R18:
// parts of words, in any order, in the name, street, postnummer or town; case, æ/ae, ø/oe, å/aa
// and full stops do not matter). Arrow keys move through the hits,
// Enter chooses, Escape closes; the hits can also be clicked.
import { gql } from './api.js';
import { KIND_LABEL, h, nextId, replace, select } from './dom.js';

const FIND = `query FindEnheder($text: String!, $kind: EnhedKind) {
  findEnheder(text: $text, kind: $kind, first: 50) {
    id enhedId navn kind ejerCvr adresse { vejnavn postnummer by } kommune { navn }
  }
}`;

const LIMIT = 50;

function describe(e) {
  const place = [e.adresse?.postnummer, e.adresse?.by].filter(Boolean).join(' ') || e.kommune?.navn || '';
  return [KIND_LABEL[e.kind] ?? e.kind, place, `CVR ${e.ejerCvr}`].filter(Boolean).join(' · ');
}

/**
 * `enhedPicker({ label, value, disabled, onChange, onError })`: `value` is the chosen enhed
 * ({ enhedId, navn, kind, ... }) or null. Returns { el, input, get value(), setDisabled(b) }.
 * The input carries data-field="enhedId", so the API's field errors land next to it.
 */
export function enhedPicker({ label = 'Enhed', value = null, disabled = false, onChange, onError }) {
  const id = nextId('enhed');
  const listId = `${id}-liste`;
  let chosen = value;
  let hits = [];
  let active = -1;
  let seq = 0;
  let timer;

  const kind = select([['', 'Alle enheder'], ['PLEJEENHED', 'Plejeenheder'], ['HELHEDSPLEJEENHED', 'Helhedsplejeenheder']], '', {
    id: `${id}-type`, disabled,
  });
  const input = h('input', {
    id, type: 'text', role: 'combobox', autocomplete: 'off', spellcheck: 'false',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId,
    'aria-describedby': `${id}-hjaelp ${id}-valgt ${id}-fejl`,
    value: chosen?.navn ?? '', readOnly: disabled, 'data-field': 'enhedId',
  });
  const list = h('ul', { id: listId, role: 'listbox', class: 'listbox', 'aria-label': 'Fundne enheder', hidden: true });
  const count = h('p', { class: 'sr-only', 'aria-live': 'polite', id: `${id}-antal` });
  const chosenEl = h('p', { class: 'chosen', id: `${id}-valgt` });
  const errEl = h('p', { class: 'field-error', id: `${id}-fejl`, hidden: true });

  function renderChosen() {
    if (chosen) {
      replace(chosenEl, 'Valgt: ', h('strong', {}, chosen.navn), ` (${describe(chosen)})`, ' ',
        disabled ? null : h('button', { type: 'button', class: 'link', onclick: clear }, 'Fjern enhed'));
    } else {
      replace(chosenEl, 'Ingen enhed valgt.');
    }
  }

  function open(b) {
    list.hidden = !b;
    input.setAttribute('aria-expanded', b ? 'true' : 'false');
    if (!b) {
      active = -1;
      input.removeAttribute('aria-activedescendant');
    }
  }

  function setActive(i) {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute('aria-selected', j === i ? 'true' : 'false'));
    const li = list.children[i];
    if (li) {
      input.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function choose(i) {
    const e = hits[i];
    if (!e) return;
    chosen = e;
    input.value = e.navn;
    open(false);
    renderChosen();
    count.textContent = `${e.navn} er valgt.`;
    onChange?.(chosen);
  }

  function clear() {
    chosen = null;
    input.value = '';
    open(false);
    renderChosen();
    count.textContent = 'Enheden er fjernet.';
    onChange?.(null);
    input.focus();
  }

  async function search() {
    const text = input.value.trim();
    const mine = ++seq;
    if (text.length < 2) {
      hits = [];
      list.replaceChildren();
      open(false);
      return;
    }
    let data;
    try {
      data = await gql(FIND, { text, kind: kind.value || null });
    } catch (e) {
      if (mine === seq) onError?.(e);
      return;
    }
    if (mine !== seq) return; // a newer search is under way
    hits = data.findEnheder;
    replace(list, hits.map((e, i) => h('li', {
      id: `${id}-valg-${i}`, role: 'option', 'aria-selected': 'false', class: 'option',
      onmousedown: (ev) => ev.preventDefault(), // keep the focus in the input
      onclick: () => choose(i),
    }, h('span', { class: 'option-name' }, e.navn), h('span', { class: 'option-meta' }, describe(e)))));
    // At most LIMIT are fetched: when the list is full there may be more, and it says so.
    count.textContent = hits.length === 0 ? 'Ingen enheder fundet.'
      : hits.length >= LIMIT ? `Mindst ${LIMIT} enheder fundet; skriv mere af navnet eller byen for at få færre. Brug pil op og ned for at vælge.`
        : `${hits.length} ${hits.length === 1 ? 'enhed' : 'enheder'} fundet. Brug pil op og ned for at vælge.`;
    open(hits.length > 0);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  kind.addEventListener('change', () => { if (input.value.trim().length >= 2) search(); });
  input.addEventListener('keydown', (ev) => {
    if (disabled) return;
    const n = hits.length;
    switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        if (list.hidden && n) open(true);
        if (n) setActive((active + 1) % n);
        break;
      case 'ArrowUp':
        ev.preventDefault();
        if (list.hidden && n) open(true);
        if (n) setActive(active <= 0 ? n - 1 : active - 1);
        break;
      case 'Enter':
        if (!list.hidden && active >= 0) {
          ev.preventDefault();
          choose(active);
        }
        break;
      case 'Escape':
        if (!list.hidden) {
          ev.preventDefault();
          ev.stopPropagation();
          open(false);
        }
        break;
      default:
    }
  });
  input.addEventListener('blur', () => open(false));

  renderChosen();
  const el = h('div', { class: 'field picker', 'data-for': 'enhedId' },
    h('label', { for: id }, label),
    h('p', { class: 'help', id: `${id}-hjaelp` },
      'Søg på ord fra navnet, vejen, postnummeret eller byen, i vilkårlig rækkefølge; store og små bogstaver, punktummer og stavemåderne æ/ae, ø/oe/o og å/aa er ligegyldige. Vælg med pil op og ned og Enter.'),
    h('div', { class: 'picker-row' },
      h('div', { class: 'picker-kind' }, h('label', { for: kind.id }, 'Søg blandt'), kind),
      h('div', { class: 'combo' }, input, list)),
    chosenEl, count, errEl);

  return {
    el,
    input,
    get value() { return chosen; },
    /** Text typed in the field that is not the chosen enhed's name: nothing is chosen by it. */
    get pending() {
      const t = input.value.trim();
      return t !== '' && t !== (chosen?.navn ?? '');
    },
    /** Shows a refusal next to the field (as the API's field errors do). */
    refuse(message) {
      errEl.textContent = message;
      errEl.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    },
    setDisabled(b) {
      disabled = b;
      input.readOnly = b;
      kind.disabled = b;
      renderChosen();
    },
  };
}
