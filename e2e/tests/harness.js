// Starts a real `podium demo` on a temporary database and a headless Chromium to drive it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..', '..');

export function podiumBinary() {
  const candidates = [
    process.env.PODIUM_BIN,
    join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'podium'),
    join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'release', 'podium'),
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no podium binary found (tried ${candidates.join(', ')}); run "cargo build" or set PODIUM_BIN`);
  }
  return found;
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

// On Linux, `setpriv --pdeathsig KILL` has the kernel kill a demo when this test process dies,
// even by SIGKILL, when no hook below can run.
const deathSignal = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true']).status === 0
  ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
// Demos still running; killed when this process exits, whatever a test did.
const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

export async function startPodium(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'podium-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [command, ...args] = [...deathSignal, podiumBinary(), 'demo', '--db', join(dir, 'demo.db'), '--addr', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data'), ...extraArgs];
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PODIUM_LOG: 'warn' },
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`podium exited early:\n${output}`);
      try {
        const r = await fetch(`${base}/healthz`);
        if (r.ok) break;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) throw new Error(`podium did not start within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    base,
    // `podium demo` without an SMTP relay writes each e-mail as an .eml file here.
    mailDir: join(dir, 'data', 'mail'),
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export const ACCOUNTS = [
  { role: 'fan', email: 'fan@podium.example', password: 'fan-demo-2026' },
  { role: 'merchant', email: 'merchant@podium.example', password: 'merchant-demo-2026' },
  { role: 'licensor', email: 'licensor@podium.example', password: 'licensor-demo-2026' },
  { role: 'operator', email: 'operator@podium.example', password: 'operator-demo-2026' },
];

// The console pages the journeys open, per demo role (checked for width and accessibility).
export const CONSOLE_PAGES = {
  fan: ['/console/fan', '/account/orders', '/account/security', '/feed?lang=en&country=KR'],
  merchant: [
    '/console/shops/hanok-threads?lang=en',
    '/console/shops/hanok-threads/products/new?lang=en',
    '/console/shops/hanok-threads/licences',
    '/console/shops/hanok-threads/orders',
    '/console/shops/hanok-threads/shipping',
    '/console/shops/hanok-threads/drops?lang=en',
    '/console/stories/hanok-threads',
    '/console/shops/hanok-threads/money',
    '/console/tokens/hanok-threads',
  ],
  licensor: [
    '/console/licensing/team-kenya?lang=en',
    '/console/licensing/team-kenya/agreements',
    '/console/licensing/team-kenya/audit',
    '/console/licensing/team-kenya/codes',
    '/console/licensing/team-kenya/royalties',
    '/console/licensing/team-kenya/stories',
  ],
  operator: ['/console/operator', '/console/operator/audit', '/console/operator/money', '/console/operator/payouts', '/console/operator/trade-rules'],
};

// Signs in through the sign-in page in a new page of `context`; returns that page.
export async function signIn(context, base, email, password) {
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/console/), page.click('form.stack button[type=submit]')]);
  return page;
}

// Waits for the e-mail to `to` holding a link that starts with `prefix` (as `podium demo` writes
// it to its mail folder) and returns the link's path and query.
export async function mailedLink(podium, to, prefix, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = existsSync(podium.mailDir) ? readdirSync(podium.mailDir).filter((f) => f.endsWith('.eml')) : [];
    for (const f of files) {
      const eml = readFileSync(join(podium.mailDir, f), 'utf8');
      if (!eml.includes(`To: ${to}\r\n`)) continue;
      const at = eml.indexOf(`${podium.base}${prefix}`);
      if (at >= 0) return eml.slice(at + podium.base.length).split(/\s/)[0];
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} with a link to ${prefix} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
