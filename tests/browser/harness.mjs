// Reusable harness of the browser tests: starts the real server binary on a fresh SQLite database,
// makes development tokens with the binary, drives the system's headless Chromium through
// playwright-core (no browser download) and checks pages for requests to other hosts, console
// errors, CSP violations and accessibility (axe-core from node_modules, never a CDN).
//
// Environment: PLEJEOVERBLIK_BIN (default target/debug/plejeoverblik), CHROMIUM
// (default /usr/bin/chromium).
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = process.env.PLEJEOVERBLIK_BIN ?? path.join(ROOT, 'target', 'debug', 'plejeoverblik');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const require = createRequire(import.meta.url);

/** A free TCP port on `host`: listens on port 0, closes, returns the port (for a server whose
 * URL must be known before it starts, e.g. `--public-url`; another process could take the port
 * in between, but the window is short). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `plejeoverblik serve` on 127.0.0.1 with a free port (or `port`) and a temporary SQLite
 * database (demo data load on the first start). Resolves once the server has printed its URL
 * and /readyz answers. `stop()` sends SIGTERM, waits for the exit and removes the database.
 */
export async function startServer({ devTokens = true, extraArgs = [], timeoutMs = 60_000, port = 0 } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'plejeoverblik-browser-'));
  const db = `sqlite://${path.join(dir, 'browser.db')}?mode=rwc`;
  const args = ['--database-url', db, 'serve', '--bind', `127.0.0.1:${port}`, ...(devTokens ? ['--dev-tokens'] : []), ...extraArgs];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = /Playground: (http:\/\/127\.0\.0\.1:\d+)\//.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before it was ready:\n${stderr}`));
    });
  });
  const ready = await fetch(`${baseUrl}/readyz`);
  if (!ready.ok) throw new Error(`/readyz answered ${ready.status}`);

  return {
    baseUrl,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A development token made by `plejeoverblik token` (its last line of output). */
export async function makeToken({ role, cvr, name, subject }) {
  const args = ['token', '--role', role, '--cvr', cvr];
  if (name) args.push('--name', name);
  if (subject) args.push('--subject', subject);
  const { stdout } = await promisify(execFile)(BIN, args);
  return stdout.trim().split('\n').pop();
}

/** The system's Chromium, headless, with a fresh profile (playwright makes a temporary one). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A new page in a fresh context that may talk to `baseUrl` only (and to the origins in `allow`,
 * e.g. a test's identity provider): every request to another origin is aborted and recorded.
 * Also records console errors, uncaught page errors and CSP violations. `problems()` lists all
 * of them (empty is good).
 */
export async function openPage(browser, baseUrl, { viewport = { width: 1400, height: 900 }, allow = [] } = {}) {
  const context = await browser.newContext({ viewport, locale: 'da-DK', serviceWorkers: 'block' });
  const origin = new URL(baseUrl).origin;
  const origins = new Set([origin, ...allow.map((u) => new URL(u).origin)]);
  const foreign = [];
  const consoleErrors = [];
  const pageErrors = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let allowed = false;
    try {
      allowed = origins.has(new URL(url).origin) || url.startsWith('data:') || url.startsWith('blob:');
    } catch {
      allowed = false;
    }
    if (allowed) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  // Runs before any page script and is not subject to the page's CSP.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  return {
    page,
    context,
    async problems() {
      const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
      return [
        ...foreign.map((u) => `request to another host: ${u}`),
        ...consoleErrors.map((t) => `console error: ${t}`),
        ...pageErrors.map((t) => `page error: ${t}`),
        ...csp.map((t) => `CSP violation: ${t}`),
      ];
    },
    close: () => context.close(),
  };
}

let axeSource;
/**
 * Runs axe-core (injected from node_modules through the DevTools protocol, which the page's CSP
 * does not govern) and returns the violations of the given impacts, less the nodes that `allow`
 * excuses: `[{ id: 'rule-id', within: 'css selector' }]` excuses that rule for nodes inside the
 * selector (for known faults of third-party components; say why where you list them).
 */
export async function axeViolations(page, { impacts = ['serious', 'critical'], allow = [], context, options } = {}) {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async ([impacts, allow, ctx, opts]) => {
    const result = await window.axe.run(ctx ?? document, opts ?? {});
    const excused = (id, target) => {
      const el = target.length === 1 ? document.querySelector(target[0]) : null;
      return el !== null && allow.some((a) => a.id === id && el.closest(a.within) !== null);
    };
    return result.violations
      .filter((v) => impacts.includes(v.impact))
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.filter((n) => !excused(v.id, n.target)).map((n) => n.target.join(' ')),
      }))
      .filter((v) => v.nodes.length > 0);
  }, [impacts, allow, context ?? null, options ?? null]);
}
