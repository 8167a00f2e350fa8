'use strict';
// A bounded soak of the real worker in workerd: GOG_SOAK_SECONDS (default 60) of mixed valid
// and hostile traffic, with no 5xx, every valid request answered 200, every hostile one
// refused with a 4xx, and the worker's own memory (its wasm memory, which it reports on every
// request line) the same at the end as after warm-up. The workerd processes' resident memory
// is reported too; under `wrangler dev` it grows with traffic in the dev server's own proxy
// process as much as in the worker's, so it is shown, not judged (docs/API.md, "Limits").

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startWorker } = require('./worker.cjs');
const { soak, percentiles } = require('./soak.cjs');

const SECONDS = Number(process.env.GOG_SOAK_SECONDS ?? 60);
test(`${SECONDS} s of mixed valid and hostile traffic: no 5xx, and the worker's memory stays flat`, { timeout: (SECONDS + 180) * 1000 }, async () => {
  const worker = await startWorker({ rateLimit: 1_000_000 });
  try {
    const run = await soak(worker, { seconds: SECONDS });
    for (const kind of ['valid', 'hostile']) {
      const [p50, p99] = percentiles(run[kind].seconds);
      console.log(`${kind}: ${run[kind].seconds.length} requests, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, statuses ${JSON.stringify(run[kind].statuses)}`);
    }
    console.log(`workerd resident memory ${run.rssStartKib >> 10} → ${run.rssEndKib >> 10} MiB; wasm memory ${run.wasmStartMib} → ${run.wasmEndMib} MiB`);
    assert.equal(run.fiveHundreds, 0, 'no 5xx');
    assert.deepEqual(Object.keys(run.valid.statuses), ['200'], 'every valid request answered 200');
    assert.ok(Object.keys(run.hostile.statuses).every((s) => s >= 400 && s < 500), JSON.stringify(run.hostile.statuses));
    assert.ok(run.valid.seconds.length > 100 && run.hostile.seconds.length > 50, 'the soak ran');
    assert.ok(run.wasmStartMib > 0, 'the worker reported its memory');
    assert.equal(run.wasmEndMib, run.wasmStartMib, 'the worker\'s wasm memory did not grow');
  } finally {
    await worker.stop();
  }
});
