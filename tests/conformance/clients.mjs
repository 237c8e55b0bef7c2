// Client compatibility: three common JavaScript GraphQL clients, with their default transport
// settings, against $PLEJEOVERBLIK_URL/graphql.
//
//   graphql-request  POST application/json
//   @apollo/client   core only (HttpLink + InMemoryCache, no React), POST application/json
//   @urql/core       default preferGetMethod 'within-url-limit': queries over GET, mutations POST
//
// Per client: (a) anonymous search in Aarhus (totalCount > 0, 3 edges), (b) createServiceleverance
// with the token in $PLEJEOVERBLIK_TOKEN (a driftsoverenskomstansvarlig; version must be 1).
// One line per client and check; exit 1 on any failure.
//
// (c) R29: a variable the program leaves undefined (dropped by JSON.stringify, as typed clients
// do) is absent, not null: an update that sends only `aftaleidentifikation` keeps `startdato`.
//
// Besides: the standard introspection query of graphql-js (getIntrospectionQuery(), the one GraphiQL,
// Apollo's and urql's tooling and code generators send) must be answered and give a schema
// (buildClientSchema).
//
//   PLEJEOVERBLIK_URL=http://127.0.0.1:8080 PLEJEOVERBLIK_TOKEN=eyJ... node clients.mjs
import { GraphQLClient, gql as gqlRequest } from 'graphql-request';
import { ApolloClient, HttpLink, InMemoryCache, gql as gqlApollo } from '@apollo/client';
import { Client as UrqlClient, cacheExchange, fetchExchange, gql as gqlUrql } from '@urql/core';
import { buildClientSchema, getIntrospectionQuery } from 'graphql';

const base = (process.env.PLEJEOVERBLIK_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const url = `${base}/graphql`;
const token = process.env.PLEJEOVERBLIK_TOKEN;
if (!token) {
  console.error('PLEJEOVERBLIK_TOKEN is not set (a driftsoverenskomstansvarlig token)');
  process.exit(2);
}

const SEARCH = `query Search {
  search(kommune: "Aarhus", kind: PLEJEENHED, first: 3) {
    totalCount
    edges { node { navn } }
  }
}`;
const CREATE = `mutation Create($navn: String!) {
  createServiceleverance(input: { navn: $navn }) { id navn version }
}`;

/** A fetch that remembers how each request went over the wire (method, status, content-type). */
function recordingFetch() {
  const log = [];
  const f = async (input, init = {}) => {
    const res = await fetch(input, init);
    log.push(`${(init.method ?? 'GET').toUpperCase()} ${res.status} ${res.headers.get('content-type') ?? '-'}`);
    return res;
  };
  return { fetch: f, last: () => log.at(-1) ?? 'no request' };
}

function describe(err) {
  if (!err) return 'unknown error';
  // graphql-request appends the whole request and response as JSON to its message: cut that off.
  const message = String(err.message ?? err).split(': {"response"')[0].slice(0, 200);
  const parts = [err.name ? `${err.name}: ${message}` : message];
  // graphql-request ClientError, Apollo CombinedGraphQLErrors / ServerError, urql CombinedError
  const gqlErrors = err.response?.errors ?? err.errors ?? err.graphQLErrors;
  if (Array.isArray(gqlErrors) && gqlErrors.length) {
    parts.push(`errors=${JSON.stringify(gqlErrors.map((e) => ({ message: e.message, code: e.extensions?.code })))}`);
  }
  if (err.networkError) parts.push(`network=${err.networkError.message ?? err.networkError}`);
  if (err.statusCode) parts.push(`status=${err.statusCode}`);
  if (typeof err.bodyText === 'string') parts.push(`body=${err.bodyText.slice(0, 300)}`);
  return parts.join(' ').replace(/\s+/g, ' ');
}

const clients = {
  'graphql-request': () => {
    const rec = recordingFetch();
    const anon = new GraphQLClient(url, { fetch: rec.fetch });
    const authed = new GraphQLClient(url, { fetch: rec.fetch, headers: { Authorization: `Bearer ${token}` } });
    return {
      rec,
      search: () => anon.request(gqlRequest`${SEARCH}`),
      create: (navn) => authed.request(gqlRequest`${CREATE}`, { navn }),
      mutate: (doc, variables) => authed.request(doc, variables),
    };
  },
  '@apollo/client': () => {
    const rec = recordingFetch();
    const client = new ApolloClient({
      link: new HttpLink({ uri: url, fetch: rec.fetch }),
      cache: new InMemoryCache(),
    });
    const unwrap = (r) => {
      if (r.error) throw r.error;
      if (r.errors?.length) throw Object.assign(new Error('GraphQL errors'), { errors: r.errors });
      return r.data;
    };
    return {
      rec,
      search: async () => unwrap(await client.query({ query: gqlApollo(SEARCH), fetchPolicy: 'network-only' })),
      create: async (navn) =>
        unwrap(
          await client.mutate({
            mutation: gqlApollo(CREATE),
            variables: { navn },
            context: { headers: { Authorization: `Bearer ${token}` } },
          }),
        ),
      mutate: async (doc, variables) =>
        unwrap(
          await client.mutate({
            mutation: gqlApollo(doc),
            variables,
            context: { headers: { Authorization: `Bearer ${token}` } },
          }),
        ),
    };
  },
  '@urql/core': () => {
    const rec = recordingFetch();
    const anon = new UrqlClient({ url, exchanges: [cacheExchange, fetchExchange], fetch: rec.fetch });
    const authed = new UrqlClient({
      url,
      exchanges: [cacheExchange, fetchExchange],
      fetch: rec.fetch,
      fetchOptions: { headers: { Authorization: `Bearer ${token}` } },
    });
    const unwrap = (r) => {
      if (r.error) throw r.error;
      return r.data;
    };
    return {
      rec,
      search: async () => unwrap(await anon.query(gqlUrql(SEARCH), {}).toPromise()),
      create: async (navn) => unwrap(await authed.mutation(gqlUrql(CREATE), { navn }).toPromise()),
      mutate: async (doc, variables) => unwrap(await authed.mutation(gqlUrql(doc), variables).toPromise()),
    };
  },
};

let failures = 0;
function report(ok, client, check, detail) {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${client.padEnd(16)} ${check.padEnd(22)} ${detail}`);
}

for (const [name, make] of Object.entries(clients)) {
  const c = make();

  try {
    const data = await c.search();
    const s = data?.search;
    const n = s?.edges?.length;
    const ok = Number.isInteger(s?.totalCount) && s.totalCount > 0 && n === 3;
    report(ok, name, 'anonymous search', `[${c.rec.last()}] totalCount=${s?.totalCount} edges=${n}` +
      (ok ? ` first="${s.edges[0].node.navn}"` : ` data=${JSON.stringify(data)}`));
  } catch (err) {
    report(false, name, 'anonymous search', `[${c.rec.last()}] ${describe(err)}`);
  }

  try {
    const navn = `Klient-test ${name}`;
    const data = await c.create(navn);
    const sl = data?.createServiceleverance;
    const ok = sl?.version === 1 && sl?.navn === navn && typeof sl?.id === 'string';
    report(ok, name, 'authenticated mutation', `[${c.rec.last()}] id=${sl?.id} navn="${sl?.navn}" version=${sl?.version}` +
      (ok ? '' : ` data=${JSON.stringify(data)}`));
  } catch (err) {
    report(false, name, 'authenticated mutation', `[${c.rec.last()}] ${describe(err)}`);
  }

  try {
    const made = await c.mutate(
      'mutation Made($navn: String!, $s: Date) { createServiceleverance(input: { navn: $navn, startdato: $s }) { id } }',
      { navn: `R29 ${name}`, s: '2020-01-01' },
    );
    const id = made.createServiceleverance.id;
    await c.mutate('mutation Lock($id: ID!) { lockServiceleverance(id: $id) { id } }', { id });
    const data = await c.mutate(
      'mutation Save($id: ID!, $a: String, $s: Date) { updateServiceleverance(id: $id, input: { aftaleidentifikation: $a, startdato: $s }) { id aftaleidentifikation startdato } }',
      { id, a: 'VAR-2', s: undefined },
    );
    const u = data?.updateServiceleverance;
    const ok = u?.aftaleidentifikation === 'VAR-2' && u?.startdato === '2020-01-01';
    report(ok, name, 'undefined variable', `[${c.rec.last()}] startdato=${u?.startdato} aftaleidentifikation=${u?.aftaleidentifikation}`);
  } catch (err) {
    report(false, name, 'undefined variable', `[${c.rec.last()}] ${describe(err)}`);
  }
}

{
  const rec = recordingFetch();
  const client = new GraphQLClient(url, { fetch: rec.fetch });
  const check = 'standard introspection';
  try {
    const data = await client.request(
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }),
    );
    const schema = buildClientSchema(data);
    const types = Object.keys(schema.getTypeMap()).filter((t) => !t.startsWith('__')).length;
    report(true, 'graphql-js', check, `[${rec.last()}] ${types} types, query type ${schema.getQueryType()?.name}`);
  } catch (err) {
    report(false, 'graphql-js', check, `[${rec.last()}] ${describe(err)}`);
  }
}

if (failures) {
  console.log(`FAIL: ${failures} client check(s) failed`);
  process.exit(1);
}
console.log('PASS');
