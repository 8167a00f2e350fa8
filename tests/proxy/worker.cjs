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
const zlib = require('node:zlib');

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
 * {url, log(), stop(), rss()}; `log()` is everything wrangler and the worker printed, `rss()`
 * the resident memory of its workerd processes in KiB.
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
  // Resident memory of the workerd processes it started (wrangler's process group), in KiB.
  const rss = () => residentKib(child.pid);
  return { url, log: () => log.join(''), stop, rss };
}

/** The summed VmRSS, in KiB, of every `workerd` process in process group `group`. */
function residentKib(group) {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [, command, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat);
      // After the command: state, ppid, pgrp.
      if (command !== 'workerd' || Number(rest.split(' ')[2]) !== group) continue;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
    } catch {
      // the process ended while being read
    }
  }
  return total;
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

/**
 * A PNG of width × height, colour type `colour` at `depth` bits a sample, whose samples are all
 * the byte `fill`; without `fill` it holds no image data at all (a header only).
 */
function png(width, height, { depth = 8, colour = 2, fill } = {}) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = depth;
  header[9] = colour;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colour];
  const stride = 1 + Math.ceil((width * channels * depth) / 8);
  const rows = () => {
    const raw = Buffer.alloc(height * stride, fill);
    for (let y = 0; y < height; y += 1) raw[y * stride] = 0;
    return raw;
  };
  const data = fill === undefined ? [] : [chunk('IDAT', zlib.deflateSync(rows()))];
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), ...data, chunk('IEND', Buffer.alloc(0))]));
}

module.exports = { startWorker, post, freePort, png };
