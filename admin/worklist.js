// "Kræver handling" (issue 20): what the viewer's agreements ask of the viewer, grouped, with
// counts, from the API's worklist (a kommune's own systems can ask the same query).
import { gql } from './api.js';
import { h } from './dom.js';

const WORKLIST = `query KraeverHandling {
  worklist(first: 50) {
    total fritValg { message }
    groups { kind title count items { reason serviceleverance { id navn aftalepart { officieltNavn } } } }
  }
}`;

const HELP = {
  ENDING_SOON: 'Forlæng aftalen, eller sørg for en ny, så borgerne fortsat kan finde enheden.',
  ENDED_RECENTLY: 'Aftalen vises ikke længere i søgningen. Ret slutdatoen, hvis den stadig gælder.',
  WARNINGS: 'Aftalen vises, men noget ser forkert ud.',
  AWAITING_BESKRIVELSE: 'Helhedsplejeaftaler vises først, når leverandørens redaktør har skrevet beskrivelsen.',
  NOT_CHECKED_IN: 'Tjek ind, så ændringerne bliver en version og låsen frigives (vejledningen: meget vigtigt).',
};

export async function renderWorklist(main, app) {
  const w = (await gql(WORKLIST)).worklist;
  const intro = app.isKommune || app.isAdmin
    ? 'Serviceleverancer, der udløber, er udløbet, har advarsler, venter på leverandørens beskrivelse eller ikke er tjekket ind.'
    : 'Serviceleverancer om dine enheder, hvor kommunen venter på din beskrivelse.';
  // What needs something first, as cards; the kinds that need nothing in one line after them.
  const empty = w.groups.filter((g) => g.count === 0);
  const groups = w.groups.filter((g) => g.count > 0).map((g) => {
    const id = `handling-${g.kind.toLowerCase().replaceAll('_', '-')}`;
    return h('section', { class: 'card work-group', 'aria-labelledby': id },
      h('h2', { id }, `${g.title} (${g.count})`),
      h('p', { class: 'help' }, HELP[g.kind] ?? ''),
      h('ul', { class: 'work-items' }, g.items.map((i) => h('li', {},
          h('a', { href: `#/sl/${encodeURIComponent(i.serviceleverance.id)}` }, i.serviceleverance.navn),
          app.isAdmin && i.serviceleverance.aftalepart ? ` (${i.serviceleverance.aftalepart.officieltNavn})` : null,
          h('span', { class: 'reason' }, i.reason)))),
      g.count > g.items.length ? h('p', { class: 'count' }, `Viser ${g.items.length} af ${g.count}.`) : null);
  });
  // replaceChildren writes a null as the text "null": the optional parts are filtered out.
  main.replaceChildren(...[
    h('h1', { id: 'side-titel', tabindex: '-1' }, 'Kræver handling'),
    h('p', { class: 'lead' }, intro),
    w.fritValg ? h('p', { class: 'notice', id: 'frit-valg' }, w.fritValg.message) : null,
    h('p', { class: 'count', id: 'handling-antal' }, w.total === 0
      ? 'Intet kræver handling lige nu.'
      : `${w.total} ${w.total === 1 ? 'serviceleverance kræver' : 'serviceleverancer kræver'} handling.`),
    ...groups,
    empty.length
      ? h('section', { class: 'card work-group', 'aria-labelledby': 'handling-intet' },
        h('h2', { id: 'handling-intet' }, 'Intet at gøre'),
        h('ul', { class: 'worklist-summary', id: 'handling-tomme' }, empty.map((g) => h('li', {}, `${g.title}: 0`))))
      : null,
  ].filter(Boolean));
}
