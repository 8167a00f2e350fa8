'use strict';
// A bounded soak of a running worker: mixed valid and hostile traffic from a few clients for a
// fixed time, every answer's status and latency kept, and the worker's memory (its workerd
// processes' resident size, and the wasm memory its own log reports) after warm-up and at the
// end. Shared by the proxy tier (`soak.test.cjs`) and `cargo xtask bench proxy` (`load.cjs`).

const fs = require('node:fs');
const path = require('node:path');
const { post } = require('./worker.cjs');

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const PICTURE = new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'two-landmarks.png')));
const TRACE = fs.readFileSync(path.join(FIXTURES, 'trace', 'answered.json'), 'utf8');
const JUNK_PNG = new Uint8Array(Buffer.concat([PICTURE.subarray(0, 8), Buffer.from('<html>not an image</html>')]));
const QUERIES = ['Country 3', 'Flag of Country 2', 'Capital 4', 'Eiffel Tower', 'currency of Kenya'];

/** The wasm memory, in MiB, that the worker's last logged request line reports. */
function wasmMib(worker) {
  const lines = worker.log().split('\n').filter((line) => /^[A-Z]+ \/v1\/.* MiB$/.test(line));
  return Number(/ (\d+) MiB$/.exec(lines[lines.length - 1] ?? ' 0 MiB')[1]);
}

/** `[p50, p99]` of `seconds`, in milliseconds. */
function percentiles(seconds) {
  const sorted = [...seconds].sort((a, b) => a - b);
  const rank = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] * 1000;
  return [rank(0.5), rank(0.99)];
}

/**
 * Soaks `worker` (from `startWorker`, with a rate limit it will not reach) for `seconds` with
 * `clients` concurrent clients. Resolves to {valid, hostile} (each {seconds, statuses}),
 * {rssStartKib, rssEndKib} (the workerd processes'), {wasmStartMib, wasmEndMib} (the worker's
 * own) and the number of 5xx answers.
 */
async function soak(worker, { seconds, clients = 4 }) {
  const { url } = worker;
  // Warm-up, not measured: the corpus loads, an image is decoded, the trace is stored.
  const warm = await post(`${url}/v1/search/text`, { query: 'Country 3' });
  if (warm.status !== 200) throw new Error(`warm-up search failed: ${warm.status} ${warm.text}`);
  const token = warm.json.results[0].token;
  await post(`${url}/v1/search/image`, PICTURE);
  const stored = await post(`${url}/v1/traces`, TRACE, { method: 'PUT' });
  if (stored.status !== 201) throw new Error(`warm-up trace failed: ${stored.status} ${stored.text}`);
  const traceUrl = `${url}${stored.json.url}`;
  const status = (response) => response.status;
  const valid = [
    () => fetch(`${url}/v1/health`).then(async (r) => { await r.arrayBuffer(); return r.status; }),
    (i) => post(`${url}/v1/search/text`, { query: QUERIES[i % QUERIES.length], k: 5 }).then(status),
    () => post(`${url}/v1/search/image?k=5`, PICTURE).then(status),
    () => post(`${url}/v1/read`, { token }).then(status),
    () => fetch(traceUrl).then(async (r) => { await r.arrayBuffer(); return r.status; }),
    () => post(`${url}/v1/traces`, TRACE, { method: 'PUT' }).then(status),
  ];
  const hostile = [
    () => post(`${url}/v1/search/image`, JUNK_PNG).then(status),
    () => post(`${url}/v1/search/image?k=0`, PICTURE).then(status),
    () => post(`${url}/v1/search/text`, '["Eiffel Tower", 2]').then(status),
    () => post(`${url}/v1/read`, { token: `${token}x` }).then(status),
    () => fetch(`${url}/v1/health`, { method: 'PROPFIND' }).then(async (r) => { await r.arrayBuffer(); return r.status; }),
    () => post(`${url}/v1/traces`, JSON.stringify({ ...JSON.parse(TRACE), note: 'extra' }), { method: 'PUT' }).then(status),
    () => post(`${url}/v1/search/text`, { query: 'x'.repeat(401) }).then(status),
  ];
  const rssStartKib = worker.rss();
  const wasmStartMib = wasmMib(worker);
  const results = { valid: { seconds: [], statuses: {} }, hostile: { seconds: [], statuses: {} } };
  let fiveHundreds = 0;
  const until = Date.now() + seconds * 1000;
  const client = async (id) => {
    for (let i = id; Date.now() < until; i += 1) {
      // Every third request is hostile.
      const [kind, requests] = i % 3 === 2 ? ['hostile', hostile] : ['valid', valid];
      const t0 = process.hrtime.bigint();
      const answered = await requests[i % requests.length](i);
      results[kind].seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
      results[kind].statuses[answered] = (results[kind].statuses[answered] ?? 0) + 1;
      if (answered >= 500) fiveHundreds += 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, id) => client(id)));
  return { ...results, fiveHundreds, rssStartKib, rssEndKib: worker.rss(), wasmStartMib, wasmEndMib: wasmMib(worker) };
}

module.exports = { soak, percentiles };
