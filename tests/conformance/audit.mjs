// GraphQL over HTTP conformance: graphql-http's server audits against $PLEJEOVERBLIK_URL/graphql.
//
// Prints every audit (level, result, id, name). Fails (exit 1) if any MUST or SHOULD audit fails,
// or if a MAY audit fails that is not listed in audit-may-exceptions.json (with its reason).
// An exception that no longer fails, or that names no known audit, is reported too (and fails),
// so the list cannot go stale.
//
//   PLEJEOVERBLIK_URL=http://127.0.0.1:8080 node audit.mjs
import { auditServer } from 'graphql-http';
import { readFileSync } from 'node:fs';

const base = (process.env.PLEJEOVERBLIK_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const url = `${base}/graphql`;
const exceptionsFile = new URL('./audit-may-exceptions.json', import.meta.url);

/** @type {Record<string, string>} audit name -> one-line reason */
let exceptions = {};
try {
  const parsed = JSON.parse(readFileSync(exceptionsFile, 'utf8'));
  for (const e of parsed.exceptions ?? []) {
    if (typeof e.name !== 'string' || typeof e.reason !== 'string' || !e.reason.trim()) {
      throw new Error(`every exception needs "name" and a non-empty "reason": ${JSON.stringify(e)}`);
    }
    if (!e.name.startsWith('MAY ')) {
      throw new Error(`only MAY audits may be excepted, not: ${e.name}`);
    }
    exceptions[e.name] = e.reason;
  }
} catch (err) {
  if (err.code !== 'ENOENT') {
    console.error(`audit-may-exceptions.json: ${err.message}`);
    process.exit(2);
  }
}

// Buffer every response body so that failing audits can show what the server answered
// (the audits themselves may already have consumed the body).
const bodies = new WeakMap();
async function bufferingFetch(input, init) {
  const res = await fetch(input, init);
  const text = await res.text();
  const copy = new Response(res.status === 204 || res.status === 304 ? null : text, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  bodies.set(copy, text);
  return copy;
}

function shorten(s, n = 300) {
  s = String(s).replace(/\s+/g, ' ').trim();
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

const results = await auditServer({ url, fetchFn: bufferingFetch });
const level = (name) => name.split(' ', 1)[0];
const order = { MUST: 0, SHOULD: 1, MAY: 2 };
results.sort((a, b) => order[level(a.name)] - order[level(b.name)] || a.name.localeCompare(b.name));

console.log(`graphql-http audits against ${url}`);
let failures = 0;
const seen = new Set();
for (const r of results) {
  const lvl = level(r.name);
  seen.add(r.name);
  if (r.status === 'ok') {
    console.log(`  ok      ${lvl.padEnd(6)} [${r.id}] ${r.name}`);
    continue;
  }
  const excepted = lvl === 'MAY' && Object.hasOwn(exceptions, r.name);
  const fatal = lvl === 'MUST' || lvl === 'SHOULD' || !excepted;
  if (fatal) failures++;
  const tag = excepted ? 'excepted' : r.status;
  console.log(`  ${tag.padEnd(7)} ${lvl.padEnd(6)} [${r.id}] ${r.name}`);
  console.log(`            reason: ${r.reason}`);
  if (excepted) console.log(`            allowed: ${exceptions[r.name]}`);
  const res = r.response;
  if (res) {
    let body = bodies.get(res);
    if (body === undefined && !res.bodyUsed) body = await res.clone().text().catch(() => undefined);
    console.log(
      `            response: ${res.status} ${res.headers.get('content-type') ?? '(no content-type)'}` +
        (body !== undefined ? ` ${shorten(body)}` : ''),
    );
  }
}

for (const [name, reason] of Object.entries(exceptions)) {
  if (!seen.has(name)) {
    failures++;
    console.log(`  stale   exception names no audit of this graphql-http version: ${name} (${reason})`);
  } else if (results.find((r) => r.name === name)?.status === 'ok') {
    failures++;
    console.log(`  stale   exception for an audit that now passes (remove it): ${name}`);
  }
}

const count = (pred) => results.filter(pred).length;
console.log(
  `${results.length} audits: ${count((r) => r.status === 'ok')} ok, ` +
    `${count((r) => r.status === 'error')} MUST failed, ${count((r) => r.status === 'warn')} SHOULD failed, ` +
    `${count((r) => r.status === 'notice')} MAY failed (${count((r) => r.status === 'notice' && Object.hasOwn(exceptions, r.name))} excepted)`,
);
if (failures) {
  console.log(`FAIL: ${failures} audit problem(s)`);
  process.exit(1);
}
console.log('PASS');
