// The change feed (R30) with the reference clients of its two protocols, as integrators use
// them: graphql-ws (graphql-transport-ws, at /graphql/ws) and graphql-sse (distinct connections
// mode, at /graphql/stream). Each subscribes to the feed of Roskilde, then an agreement is
// created there with $PLEJEOVERBLIK_TOKEN (a driftsoverenskomstansvarlig of Roskilde); each
// client must receive it as an ADDED event within 5 s, and then complete cleanly when it
// unsubscribes. A query on either endpoint must be refused with a GraphQL error.
//
//   PLEJEOVERBLIK_URL=http://127.0.0.1:8080 PLEJEOVERBLIK_TOKEN=eyJ... node subscriptions.mjs
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';

const base = (process.env.PLEJEOVERBLIK_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const token = process.env.PLEJEOVERBLIK_TOKEN;
if (!token) {
  console.error('PLEJEOVERBLIK_TOKEN is not set (a driftsoverenskomstansvarlig of Roskilde)');
  process.exit(2);
}

const SUBSCRIBE = 'subscription { changes(kommune: "0265") { cursor kind kommuneKode enhedId } }';
let failures = 0;
function report(ok, client, check, detail) {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${client.padEnd(12)} ${check.padEnd(24)} ${detail}`);
}

const clients = {
  'graphql-ws': createWsClient({ url: `${base.replace(/^http/, 'ws')}/graphql/ws`, webSocketImpl: WebSocket, retryAttempts: 0 }),
  'graphql-sse': createSseClient({ url: `${base}/graphql/stream`, retryAttempts: 0 }),
};

/** Subscribes and resolves with the first event, or rejects after 5 s. */
function firstEvent(client, query) {
  let unsubscribe;
  const got = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no event within 5 s')), 5000);
    unsubscribe = client.subscribe({ query }, {
      next: (v) => { clearTimeout(timer); resolve(v); },
      error: (e) => { clearTimeout(timer); reject(e); },
      complete: () => {},
    });
  });
  return { got, stop: () => unsubscribe() };
}

/** The result of a one-shot operation on the endpoint (its errors, or its data). */
function oneShot(client, query) {
  return new Promise((resolve) => {
    const out = [];
    client.subscribe({ query }, {
      next: (v) => out.push(v),
      error: (e) => resolve({ error: e }),
      complete: () => resolve({ results: out }),
    });
  });
}

const subs = Object.fromEntries(Object.entries(clients).map(([n, c]) => [n, firstEvent(c, SUBSCRIBE)]));
// Let both subscribe before the change.
await new Promise((r) => setTimeout(r, 1000));
const gql = async (query, variables) => {
  const r = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return r.json();
};
const enheder = await gql('{ search(kommune: "Roskilde", first: 1) { nodes { enhedId } } }');
const enhedId = enheder?.data?.search?.nodes?.[0]?.enhedId;
const made = await gql(
  'mutation($e: String) { createServiceleverance(input: {navn: "Abonnement-test", enhedId: $e, type: MYNDIGHEDSPRODUKTION, startdato: "2020-01-01"}) { id isPublic } }',
  { e: enhedId },
);
const sl = made?.data?.createServiceleverance;
if (!sl?.isPublic) {
  console.log(`FAIL could not make a public agreement in Roskilde: ${JSON.stringify(made)}`);
  process.exit(1);
}

for (const [name, s] of Object.entries(subs)) {
  try {
    const v = await s.got;
    const e = v?.data?.changes;
    const ok = e?.kind === 'ADDED' && e?.kommuneKode === '0265' && typeof e?.cursor === 'string';
    report(ok, name, 'live event', `kind=${e?.kind} kommune=${e?.kommuneKode} cursor=${e?.cursor}` + (ok ? '' : ` ${JSON.stringify(v)}`));
  } catch (err) {
    report(false, name, 'live event', String(err?.message ?? JSON.stringify(err)));
  } finally {
    s.stop();
  }
}

for (const [name, c] of Object.entries(clients)) {
  const r = await oneShot(c, '{ kommuner { kode } }');
  const errors = r.error ? (Array.isArray(r.error) ? r.error : [r.error]) : r.results.flatMap((x) => x.errors ?? []);
  const code = errors[0]?.extensions?.code;
  report(code === 'OPERATION_NOT_SUPPORTED', name, 'query refused', `code=${code}`);
}

await clients['graphql-ws'].dispose();
clients['graphql-sse'].dispose();
if (failures) {
  console.log(`FAIL: ${failures} subscription check(s) failed`);
  process.exit(1);
}
console.log('PASS');
