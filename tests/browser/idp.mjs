// A real OpenID Connect provider for the browser tests (oidc-provider, on a free 127.0.0.1 port):
// one confidential client, the admin console's backend-for-frontend, and a few accounts whose
// claims are the ones Plejeoverblik maps (sub, name, cvr, roles). Its built-in development pages
// (devInteractions) do the login (any password; the login is the account's sub) and the consent.
//
// What the server relies on, and how it is configured here:
// - the ID token itself carries name, cvr and roles: they belong to the `profile` scope (and to
//   the scope `plejeoverblik`, for a server configured with --oidc-scopes naming it), and
//   `conformIdTokenClaims: false` puts a scope's claims into the ID token also when an access
//   token is issued (the code flow); userinfo answers the same claims;
// - refresh tokens: `issueRefreshToken` issues one to every code or refresh grant of a client
//   allowed the refresh_token grant, with or without `offline_access` (oidc-provider drops
//   offline_access when the request carries a prompt without `consent`); they are rotated;
// - PKCE (S256) is required of every client; client_secret_basic at the token endpoint;
// - RP-initiated logout (end_session) with post_logout_redirect_uris; the confirmation page
//   and the page after it are our own (no web fonts fetched from another host);
// - `holdCallbacks(true)` stops the browser before the callback (see below), for tests of
//   altered or replayed callbacks.
//
// `node idp.mjs` starts it alone and prints its issuer, the client and the accounts (for trying
// the server by hand; Ctrl+C stops it).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'plejeoverblik-admin';
export const CLIENT_SECRET = 'plejeoverblik-admin-test-secret-5d41402abc4b2a76b9719d911017c592';

/** Accounts by login (= sub): the claims the ID token carries. */
export const ACCOUNTS = {
  kommune: { name: 'Karen Kommune', cvr: '29189404', roles: ['driftsoverenskomstansvarlig'] }, // Roskilde Kommune
  redaktoer: { name: 'Rasmus Redaktør', cvr: '90000001', roles: ['redaktoer'] }, // De varme hænder (demo)
  admin: { name: 'Ada Administrator', cvr: '29189404', roles: ['administrator'] },
  tilsyn: { name: 'Tine Tilsyn', cvr: '90000003', roles: ['aeldretilsyn'] },
  ingen: { name: 'Ib Ingen', cvr: '29189404', roles: [] },
};

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${title}</h1>${body}</main></body>
</html>`;
}

/**
 * Starts the provider. `publicUrl` is the server's external base URL (its redirect URI is
 * `<publicUrl>/auth/callback`, its page after logout `<publicUrl>/admin/`).
 * Resolves to { issuer, clientId, clientSecret, provider, events, serverArgs(), stop() };
 * `serverArgs()` gives the `serve` flags that point the server at this provider; `events` lists
 * what the provider did (grants, errors) for a failing test to print.
 */
export async function startIdp({
  publicUrl,
  host = '127.0.0.1',
  port = 0,
  clientId = CLIENT_ID,
  clientSecret = CLIENT_SECRET,
  accounts = ACCOUNTS,
  accessTokenTtl = 60,
  idTokenTtl = 60,
  refreshTokenTtl = 24 * 3600,
  sessionTtl = 24 * 3600,
} = {}) {
  if (!publicUrl) throw new Error('startIdp: publicUrl (the server\'s base URL) is required');
  const base = publicUrl.replace(/\/+$/, '');
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const issuer = `http://${host}:${server.address().port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `test-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };

  const claimsOf = (login) => {
    const a = Object.hasOwn(accounts, login) ? accounts[login] : null;
    return a && { sub: login, name: a.name, cvr: a.cvr, roles: [...a.roles] };
  };

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      client_name: 'Plejeoverblik administration',
      redirect_uris: [`${base}/auth/callback`],
      post_logout_redirect_uris: [`${base}/admin/`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    // The scopes' claims; `conformIdTokenClaims: false` puts them into the ID token too.
    claims: {
      openid: ['sub'],
      profile: ['name', 'cvr', 'roles'],
      plejeoverblik: ['name', 'cvr', 'roles'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'plejeoverblik'],
    conformIdTokenClaims: false,
    async findAccount(_ctx, id) {
      const claims = claimsOf(id);
      if (!claims) return undefined;
      return { accountId: id, claims: async () => claims };
    },
    // A refresh token to every grant of a client that may use them, offline_access or not.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtl,
      IdToken: idTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: refreshTokenTtl,
      Interaction: 3600,
      Session: sessionTtl,
      Grant: refreshTokenTtl,
    },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = html('Logout Request', `<p>Do you want to sign-out from ${escapeHtml(ctx.host)}?</p>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = html('Sign-out Success', '<p>You are signed out.</p>');
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = html('oops! something went wrong', Object.entries(out).map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`).join(''));
    },
  });

  const events = [];
  const note = (name) => (...args) => {
    const detail = args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}${a.error_description ? ` (${a.error_description})` : ''}` : a?.constructor?.name ?? String(a))).join(' ');
    events.push(`${new Date().toISOString()} ${name} ${detail}`);
  };
  for (const name of ['grant.success', 'grant.error', 'authorization.error', 'end_session.success', 'end_session.error', 'server_error', 'userinfo.error', 'grant.revoked']) {
    provider.on(name, note(name));
  }

  // A test may hold the redirects to the server's callback: the browser then stays on a page of
  // the provider with the callback's address as a link (#callback), for the test to alter or
  // replay (a browser's redirects cannot be intercepted on their way).
  let hold = false;
  const held = [];
  provider.use(async (ctx, next) => {
    await next();
    const location = ctx.response.get('location');
    if (hold && ctx.status >= 300 && ctx.status < 400 && location.startsWith(`${base}/auth/callback`)) {
      held.push(location);
      ctx.remove('location');
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = html('Callback held', `<p><a id="callback" href="${escapeHtml(location)}">${escapeHtml(location)}</a></p>`);
    }
  });

  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    provider,
    events,
    /** Holds (true) or lets through (false) the redirects to the callback; `held` lists them. */
    holdCallbacks(on) {
      hold = Boolean(on);
    },
    held,
    /** The `serve` flags for this provider (before any flag of the caller's own). */
    serverArgs({ scopes } = {}) {
      return [
        '--public-url', base,
        '--oidc-issuer', issuer,
        '--oidc-client-id', clientId,
        '--oidc-client-secret', clientSecret,
        ...(scopes ? ['--oidc-scopes', scopes] : []),
      ];
    },
    stop() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// `node idp.mjs [PUBLIC_URL]`: the provider alone, for trying the server by hand.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const publicUrl = process.argv[2] ?? 'http://127.0.0.1:8080';
  const idp = await startIdp({ publicUrl, port: Number(process.env.IDP_PORT ?? 0) });
  console.log(`issuer:  ${idp.issuer}`);
  console.log(`server:  plejeoverblik serve --bind ${new URL(publicUrl).host} ${idp.serverArgs().join(' ')}`);
  console.log(`logins:  ${Object.entries(ACCOUNTS).map(([l, a]) => `${l} (${a.roles.join(', ') || 'no role'}, CVR ${a.cvr})`).join('; ')}; any password`);
  process.on('SIGINT', () => idp.stop().then(() => process.exit(0)));
}
