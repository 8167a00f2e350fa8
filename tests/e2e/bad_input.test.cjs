'use strict';
// What the app does with things that go wrong, each shown in the UI with the app still usable:
// a model URL that answers 404, a package with a corrupted shard, a download cut off mid-file,
// a search proxy that is down during a run, and a browser without WebGPU (the CPU, with the
// reason shown).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { APP_URL, SLOW, launch, open, screenshot, ask, exported, serveDist } = require('./app.cjs');

let browser;
let server;
before(async () => { browser = await launch(); server = await serveDist(); });
after(async () => { await browser?.close(); await server?.close(); });

async function loadByUrl(page, url) {
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  await page.fill('#model-url', url);
  await page.click('#load-model');
  await page.waitForSelector('#model-status[data-state="failed"]', { timeout: SLOW });
  return page.textContent('#model-error');
}

test('a model URL that answers 404 or a corrupted shard is refused with the reason', { timeout: 3 * SLOW }, async () => {
  const { page, errors } = await open(browser, server.url);
  const missing = await loadByUrl(page, `${server.url}no-such-model`);
  assert.match(missing, /no-such-model\/manifest\.json answered HTTP 404/);
  assert.match(await page.textContent('.package-facts[data-package$="no-such-model"] .error'), /manifest\.json answered HTTP 404/,
    'the picker says so as soon as the URL is given');
  await screenshot(page, 'model-404.png');

  await page.click('#model-by-url');
  await page.fill('#model-url', `${server.url}broken-model`);
  await page.click('#load-model');
  await page.waitForSelector('#model-status[data-state="failed"]', { timeout: SLOW });
  assert.match(await page.textContent('#model-error'), /model-00001-of-00001\.safetensors is corrupted: its SHA-256 is [0-9a-f]{64}/);
  await screenshot(page, 'model-corrupted.png');

  // The shipped model still loads afterwards: nothing was left broken.
  await page.check('input[name="model"][value="models/gog-tiny-q8"]');
  await page.click('#load-model');
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a download cut off mid-file picks up where it stopped', { timeout: 3 * SLOW }, async () => {
  const { page, errors } = await open(browser, server.url);
  const loadAgain = async (url, state) => {
    await page.click('#model-by-url');
    await page.fill('#model-url', url);
    await page.click('#load-model');
    await page.waitForSelector(`#model-status[data-state="${state}"]`, { timeout: SLOW });
  };
  const rangeStart = (range) => Number(/^bytes=(\d+)-$/.exec(range)[1]);

  // The connection breaks halfway, and the server refuses what follows: the load fails, and
  // the whole pieces received stay in the cache.
  server.flaky.refusing = true;
  server.flaky.requests.length = 0;
  const failed = await loadByUrl(page, `${server.url}flaky-model`);
  assert.match(failed, /flaky-model\/model-00001-of-00001\.safetensors answered HTTP 503/);
  assert.equal(server.flaky.requests[0], null, 'the first request asked for the whole file');
  assert.ok(server.flaky.requests.slice(1).every((range) => rangeStart(range) > 0), 'each retry asked for the rest');
  await screenshot(page, 'model-cut-off.png');

  // The network is back: loading again asks only for what the kept pieces do not hold.
  server.flaky.refusing = false;
  const before = server.flaky.requests.length;
  await loadAgain(`${server.url}flaky-model`, 'ready');
  const resumed = server.flaky.requests.slice(before);
  assert.equal(resumed.length, 1, 'one request finished the file');
  assert.ok(rangeStart(resumed[0]) > 0 && rangeStart(resumed[0]) % 65536 === 0, `resumed at a piece boundary: ${resumed[0]}`);
  console.log(`cut-off download resumed from byte ${rangeStart(resumed[0])}`);

  // Within one load: the connection breaks once, and the download goes on from where it broke.
  server.flaky.requests.length = 0;
  await loadAgain(`${server.url}flaky-model-again`, 'ready');
  assert.equal(server.flaky.requests.length, 2);
  assert.equal(server.flaky.requests[0], null);
  assert.ok(rangeStart(server.flaky.requests[1]) > 0, 'the second request asked for the rest');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a search proxy that is down fails the searches visibly and the run still ends', { timeout: 2 * SLOW }, async () => {
  const { page, errors } = await open(browser, APP_URL);
  await ask(page, null, { proxy: 'http://127.0.0.1:9' });
  const trace = await exported(page);
  assert.equal(trace.steps[0].search.results.kind, 'failed');
  assert.match(trace.steps[0].search.results.value, /the proxy did not answer/);
  assert.match(await page.textContent('li.step[data-step="0"] .step-error'), /The search failed: .*the proxy did not answer/);
  assert.ok(await page.isEnabled('#ask'), 'the app is ready for another question');
  await screenshot(page, 'proxy-down-during-run.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('without WebGPU the model runs on the CPU and the page says why', { timeout: 2 * SLOW }, async () => {
  const plain = await launch({ webgpu: false });
  try {
    const { page, errors } = await open(plain, APP_URL);
    await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
    // Left to the runtime, a model this small goes to the CPU before WebGPU is even asked for.
    assert.match(await page.textContent('#model-device'), /Running on the CPU: chosen automatically: a model this small/);
    // Asked for WebGPU, it falls back and says why.
    await page.check('input[name="device"][value="webgpu"]');
    await page.click('#load-model');
    await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
    assert.match(await page.textContent('#model-device'), /Running on the CPU: WebGPU is not available here/);
    await ask(page, 'no-webgpu.png');
    assert.ok((await exported(page)).steps.length > 0);
    assert.deepEqual(errors, []);
  } finally {
    await plain.close();
  }
});
