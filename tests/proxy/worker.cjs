'use strict';
// Starts the proxy in the real Workers runtime (workerd, through `wrangler dev --local`) on a free
// 127.0.0.1 port, with the given vars, and stops it with everything it started.

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

/** Starts the worker with `vars` ({NAME: value}); resolves to {url, stop()}. */
async function startWorker(vars = {}) {
  const port = await freePort();
  const inspector = await freePort();
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'gog-proxy-state-'));
  const args = [
    'dev', '--local', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspector), '--persist-to', state,
    '--show-interactive-dev-session=false',
  ];
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  const child = spawn('wrangler', args, { cwd: PROXY_DIR, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 10000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, log, 120000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

module.exports = { startWorker };
