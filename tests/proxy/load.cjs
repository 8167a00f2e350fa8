'use strict';
// `cargo xtask bench proxy`'s load test: the built worker in workerd on 127.0.0.1 over the
// corpus in GOG_TEST_CORPUS, driven by a fixed number of concurrent clients for a fixed time
// per route; then a soak of mixed valid and hostile traffic (`soak.cjs`) with the worker's
// memory before and after, and its memory after decoding an image at the decode budget; then
// the rate limit, checked request by request. Appends the bench's JSON lines to
// GOG_BENCH_SAMPLES (see xtask/src/bench.rs). Bounded: ~40 s of load and GOG_SOAK_SECONDS
// (default 180) of soak.

const fs = require('node:fs');
const path = require('node:path');
const { startWorker, post, png } = require('./worker.cjs');
const { soak, percentiles } = require('./soak.cjs');

const SECONDS_PER_ROUTE = Number(process.env.GOG_LOAD_SECONDS ?? 8);
const SOAK_SECONDS = Number(process.env.GOG_SOAK_SECONDS ?? 180);
// The side of an 8-bit RGB square at the worker's decode budget (24 MiB at 10 bytes a pixel).
const BUDGET_SIDE = 1586;
const CONCURRENCY = 8;
const RATE_LIMIT = 10;
const PICTURE = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'two-landmarks.png')));
const out = process.env.GOG_BENCH_SAMPLES;
if (!out) throw new Error('GOG_BENCH_SAMPLES must name the samples file; run `cargo xtask bench proxy`');
const write = (line) => fs.appendFileSync(out, JSON.stringify(line) + '\n');

/** Runs `request` from CONCURRENCY clients for SECONDS_PER_ROUTE; latencies and statuses. */
async function load(request) {
  const seconds = [];
  const statuses = new Map();
  const until = Date.now() + SECONDS_PER_ROUTE * 1000;
  const started = process.hrtime.bigint();
  const client = async (id) => {
    for (let i = 0; Date.now() < until; i += 1) {
      const t0 = process.hrtime.bigint();
      const status = await request(id, i);
      seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => client(id)));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, statuses, rps: seconds.length / wall };
}

async function main() {
  const worker = await startWorker({ rateLimit: 1_000_000 });
  try {
    const url = worker.url;
    // The first search loads the corpus into the worker; it is not measured.
    const warm = await post(`${url}/v1/search/text`, { query: 'Eiffel Tower' });
    if (warm.status !== 200) throw new Error(`warm-up failed: ${warm.status} ${warm.text}`);
    await post(`${url}/v1/search/image`, PICTURE);
    const token = warm.json.results[0].token;
    const queries = ['Eiffel Tower', 'flag of Japan', 'capital of Peru', 'Big Ben clock tower', 'currency of Kenya', 'Sydney Opera House'];
    const routes = [
      ['GET /v1/health (reference)', () => fetch(`${url}/v1/health`).then(async (r) => { await r.arrayBuffer(); return r.status; })],
      ['POST /v1/search/text', (id, i) => post(`${url}/v1/search/text`, { query: queries[(id + i) % queries.length], k: 5 }).then((r) => r.status)],
      ['POST /v1/search/image', () => post(`${url}/v1/search/image?k=5`, PICTURE).then((r) => r.status)],
      ['POST /v1/read', () => post(`${url}/v1/read`, { token }).then((r) => r.status)],
    ];
    const case_ = `offline backend, ${CONCURRENCY} clients`;
    let fiveHundreds = 0;
    let total = 0;
    for (const [name, request] of routes) {
      const { seconds, statuses, rps } = await load(request);
      const reference = name.endsWith('(reference)');
      write({ case: case_, variant: name, seconds, reference });
      write({ case: case_, metric: `${name}: requests/s`, value: Number(rps.toFixed(1)), count: seconds.length });
      const sorted = [...seconds].sort((a, b) => a - b);
      const rank = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
      for (const [label, q] of [['p50', 0.5], ['p99', 0.99]]) {
        write({ case: case_, metric: `${name}: ${label} latency (ms)`, value: Number((rank(q) * 1000).toFixed(1)), count: seconds.length });
      }
      const errors = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
      const non200 = [...statuses].filter(([s]) => s !== 200).reduce((n, [, c]) => n + c, 0);
      fiveHundreds += errors;
      total += seconds.length;
      write({ case: case_, metric: `${name}: non-200 responses`, value: non200, count: seconds.length, target: { at_most: 0 } });
      console.log(`${name}: ${seconds.length} requests, ${rps.toFixed(1)}/s, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    }
    write({ case: case_, metric: '5xx responses', value: fiveHundreds, count: total, target: { at_most: 0 } });
  } finally {
    await worker.stop();
  }

  const soaked = await startWorker({ rateLimit: 1_000_000 });
  try {
    const run = await soak(soaked, { seconds: SOAK_SECONDS });
    const case_ = `soak: ${SOAK_SECONDS} s of mixed valid and hostile requests, 4 clients`;
    for (const kind of ['valid', 'hostile']) {
      write({ case: case_, variant: `${kind} requests`, seconds: run[kind].seconds, reference: kind === 'valid' });
      const [p50, p99] = percentiles(run[kind].seconds);
      write({ case: case_, metric: `${kind}: p50 latency (ms)`, value: Number(p50.toFixed(1)), count: run[kind].seconds.length });
      write({ case: case_, metric: `${kind}: p99 latency (ms)`, value: Number(p99.toFixed(1)), count: run[kind].seconds.length });
      console.log(`soak ${kind}: ${run[kind].seconds.length} requests, statuses ${JSON.stringify(run[kind].statuses)}`);
    }
    const total = run.valid.seconds.length + run.hostile.seconds.length;
    write({ case: case_, metric: '5xx responses', value: run.fiveHundreds, count: total, target: { at_most: 0 } });
    write({ case: case_, metric: 'worker wasm memory growth (MiB)', value: run.wasmEndMib - run.wasmStartMib, count: total, target: { at_most: 0 } });
    write({ case: case_, metric: 'worker wasm memory after warm-up (MiB)', value: run.wasmStartMib, count: 1 });
    write({ case: case_, metric: 'workerd resident memory after warm-up (MiB)', value: run.rssStartKib >> 10, count: 1 });
    write({ case: case_, metric: 'workerd resident memory at the end (MiB)', value: run.rssEndKib >> 10, count: 1 });

    // An image at the decode budget, with the corpus loaded: what the Worker's 128 MB must hold.
    const decoded = await post(`${soaked.url}/v1/search/image?k=3`, png(BUDGET_SIDE, BUDGET_SIDE, { fill: 0x80 }));
    if (decoded.status !== 200) throw new Error(`the image at the budget was refused: ${decoded.text}`);
    const lines = soaked.log().split('\n').filter((line) => line.startsWith('POST /v1/search/image 200'));
    const mib = Number(/ (\d+) MiB$/.exec(lines[lines.length - 1])[1]);
    write({ case: `a ${BUDGET_SIDE}×${BUDGET_SIDE} image at the decode budget`, metric: 'worker wasm memory (MiB)', value: mib, count: 1, target: { at_most: 122 } });
  } finally {
    await soaked.stop();
  }

  // The rate limit: RATE_LIMIT searches pass, every later one within the period gets 429.
  const limited = await startWorker({ rateLimit: RATE_LIMIT });
  try {
    const sent = RATE_LIMIT + 10;
    let asConfigured = 0;
    for (let i = 0; i < sent; i += 1) {
      const response = await post(`${limited.url}/v1/search/text`, { query: 'Eiffel Tower' });
      const expected = i < RATE_LIMIT ? 200 : 429;
      const retryAfter = response.headers.get('retry-after');
      if (response.status === expected && (expected === 200 || retryAfter === '60')) asConfigured += 1;
    }
    write({
      case: `rate limit ${RATE_LIMIT}/60 s per client`,
      metric: 'requests answered as configured (200, then 429 with Retry-After)',
      value: asConfigured / sent,
      count: sent,
      target: { at_least: 1 },
    });
  } finally {
    await limited.stop();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
