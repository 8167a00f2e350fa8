'use strict';
// Starts the built proxy (proxy/build) in the real Workers runtime (workerd, through
// `wrangler dev --local`) on a free 127.0.0.1 port, with a configuration written for the test:
// its vars, secrets (.dev.vars), rate limit and corpus (GOG_TEST_CORPUS, the made-up bundle
// `cargo xtask test` writes). Stops it with everything it started.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const PROXY_DIR = path.join(__dirname, '..', '..', 'proxy');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, child, log, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`wrangler dev exited with ${child.exitCode} before answering:\n${log.join('')}`);
    }
    try {
      const response = await fetch(`${url}/v1/health`);
      if (response.status !== 0) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer at ${url} within ${timeoutMs} ms:\n${log.join('')}`);
}

function tomlString(value) {
  return JSON.stringify(String(value));
}

/**
 * Starts the worker. Options: `vars` ({NAME: value}, or a function of the worker's URL that
 * returns them), `secrets` ({NAME: value}), `rateLimit` (requests a minute per client, default
 * 1000), `state` (a directory to keep KV and R2 in across starts). Resolves to
 * {url, log(), stop()}; `log()` is everything wrangler and the worker printed.
 */
async function startWorker({ vars = {}, secrets = {}, rateLimit = 1000, state } = {}) {
  const corpus = process.env.GOG_TEST_CORPUS;
  if (!corpus) throw new Error('GOG_TEST_CORPUS must name a corpus bundle; `cargo xtask test --tier proxy` sets it');
  const port = await freePort();
  const inspector = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gog-proxy-test-'));
  const persist = state ?? path.join(dir, 'state');
  const resolvedVars = typeof vars === 'function' ? vars(url) : vars;
  const lines = [
    'name = "gog-proxy-test"',
    `main = ${tomlString(path.join(PROXY_DIR, 'build', 'index.js'))}`,
    'compatibility_date = "2025-09-01"',
    '[vars]',
    ...Object.entries(resolvedVars).map(([k, v]) => `${k} = ${tomlString(v)}`),
    '[assets]',
    `directory = ${tomlString(corpus)}`,
    'binding = "CORPUS"',
    'run_worker_first = true',
    '[[kv_namespaces]]',
    'binding = "STORE"',
    'id = "00000000000000000000000000000000"',
    '[[r2_buckets]]',
    'binding = "IMAGES"',
    'bucket_name = "gog-proxy-images"',
    '[[ratelimits]]',
    'name = "SEARCH_LIMITER"',
    'namespace_id = "1001"',
    `simple = { limit = ${rateLimit}, period = 60 }`,
  ];
  fs.writeFileSync(path.join(dir, 'wrangler.toml'), lines.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, '.dev.vars'),
    Object.entries(secrets).map(([k, v]) => `${k}=${tomlString(v)}`).join('\n') + '\n',
  );
  const args = [
    'dev', '--local', '--config', path.join(dir, 'wrangler.toml'),
    '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspector), '--persist-to', persist,
    '--show-interactive-dev-session=false', '--log-level', 'log',
  ];
  const child = spawn('wrangler', args, {
    cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  const log = [];
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 10000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, log, 120000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, log: () => log.join(''), stop };
}

/** POSTs `body` (an object is sent as JSON) and resolves to {status, headers, json}. */
async function post(url, body, { method = 'POST', headers = {} } = {}) {
  const isBytes = body instanceof Uint8Array;
  const response = await fetch(url, {
    method,
    headers: isBytes ? headers : { 'content-type': 'application/json', ...headers },
    body: isBytes || typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, headers: response.headers, json, text };
}

module.exports = { startWorker, post, freePort };
