'use strict';
// A question end to end in the app, against the running demo: the shipped GoG-Tiny, in the
// full-search mode (whose harness glances first, so the run searches whatever the model writes),
// over the offline corpus in the browser; the trace view checked against the trace the
// app exports; its link, stored through the proxy, opened in a fresh browser context; Re-run
// with the recorded results; Esc stopping a run of the random-weight test model; a link that carries its trace; damaged links;
// an exported trace imported; and a run with the network gone, on a gallery scene.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const {
  APP_URL, FIXTURES, SLOW, launch, open, screenshot, assertShows, ask, settle, gallery, exported, serveDist, noisePng,
} = require('./app.cjs');

const SHARED = path.join(FIXTURES, 'trace', 'glance-and-gaze.json');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

let liveLink;

test('a question runs end to end on the shipped GoG-Tiny with the offline corpus, shared through the proxy', { timeout: 2 * SLOW }, async () => {
  const context = await browser.newContext();
  const { page, errors } = await open(context, APP_URL);
  assert.match(await page.textContent('.model-picker'), /GoG-Tiny was trained here on GoG-Offline/);
  await page.waitForSelector('#model-status[data-state="downloading"], #model-status[data-state="warming-up"], #model-status[data-state="ready"]');
  await screenshot(page, 'model-loading.png');
  // A picture of noise, which no compressor shrinks, makes the trace too large for a link of its
  // own: the link goes through the proxy's trace store.
  const image = { name: 'noise.png', mimeType: 'image/png', buffer: noisePng(320, 240) };
  // Everything the page says about reading the prompt, however briefly it says it.
  await page.evaluate(() => {
    window.readingSeen = [];
    new MutationObserver(() => {
      const reading = document.getElementById('reading');
      if (reading) window.readingSeen.push(reading.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await ask(page, 'running.png', { image });
  const reading = await page.evaluate(() => window.readingSeen);
  assert.ok(reading.some((text) => /^The model is reading: \d+ of \d+ tokens$/.test(text)), `the page showed the prompt being read: ${JSON.stringify(reading.slice(0, 3))}`);
  assert.match(await page.textContent('#model-device'), /WebGPU|CPU/);
  await screenshot(page, 'answered.png');

  const trace = await exported(page);
  console.log(`live run: ${trace.steps.length} steps, outcome ${trace.outcome.kind}, model ${trace.model.id}`);
  assert.equal(trace.model.id, 'gog-tiny-q8');
  assert.equal(trace.settings.mode, 'full-search');
  assert.equal(trace.steps[0].actor, 'harness', 'the harness glanced first');
  assert.equal(trace.steps[0].search.results.kind, 'images');
  assert.ok(trace.steps[0].search.results.value.length > 0, 'the corpus answered the glance');
  await assertShows(page, trace);
  assert.equal(await page.textContent('#stat-steps'), String(trace.steps.length));

  await page.click('#copy-link');
  await page.waitForSelector('#share-link');
  liveLink = await page.inputValue('#share-link');
  assert.match(liveLink, /#trace-id=sha256:[0-9a-f]{64}$/);
  assert.match(await page.textContent('#share-message'), /stored by the search proxy/);

  // Re-run: the same question again, its searches answered from the trace's records.
  // A re-run of a few short turns can end before a check for its Stop button comes round: wait
  // for its finished steps instead, which name the recorded searches as their provider.
  await page.click('#rerun');
  await page.waitForSelector('li.step .meta:has-text("from replay of sha256:")', { timeout: SLOW });
  await page.waitForSelector('#answer', { timeout: SLOW });
  const rerun = await exported(page);
  assert.equal(rerun.question, trace.question);
  assert.deepEqual(rerun.steps[0].search.request, trace.steps[0].search.request);
  assert.deepEqual(rerun.steps[0].search.results, trace.steps[0].search.results, 'the glance got the recorded results');
  assert.match(rerun.steps[0].search.provider, /^replay of sha256:[0-9a-f]{64}$/);
  await assertShows(page, rerun);
  await screenshot(page, 'rerun.png');
  assert.deepEqual(errors, []);
  await context.close();

  // The link, in a browser that never saw the app: the same trace, with no model run.
  const fresh = await browser.newContext();
  const shared = await open(fresh, liveLink);
  await shared.page.waitForSelector('li.step');
  await assertShows(shared.page, trace);
  assert.match(await shared.page.textContent('#trace-origin'), /no model ran/);
  await screenshot(shared.page, 'shared-live-run.png');
  await fresh.close();
});

test('a shared trace with a glance and a gaze opens exactly; damaged links say why', async () => {
  const json = fs.readFileSync(SHARED, 'utf8');
  const trace = JSON.parse(json);
  const link = `${APP_URL.split('#')[0]}#trace=${zlib.deflateRawSync(json).toString('base64url')}`;
  const context = await browser.newContext();
  const { page, errors } = await open(context, link);
  await page.waitForSelector('li.step');
  await assertShows(page, trace);
  assert.equal(await page.textContent('#answer-text'), trace.outcome.answer);
  assert.equal(await page.$$eval('svg.boxes g.gaze text', (t) => t.map((x) => x.textContent).join()), '1');
  assert.ok(await page.$('li.step.reflection'), 'turns after results are marked as reflection');
  const gaze = trace.steps.find((s) => s.search && s.search.request.crop);
  const crop = gaze.search.request.crop;
  assert.equal(await page.getAttribute(`li.step[data-step="${gaze.index}"] svg.crop`, 'viewBox'),
    `${crop.x1} ${crop.y1} ${crop.x2 - crop.x1} ${crop.y2 - crop.y1}`, 'the crop searched is shown');
  await screenshot(page, 'shared-trace.png');
  // Readable at phone width: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 390 px');
  await screenshot(page, 'shared-trace-phone.png');
  assert.deepEqual(errors, []);

  const tampered = json.replace(trace.outcome.answer, 'Country 4');
  const tamperedLink = `${APP_URL.split('#')[0]}#trace=${zlib.deflateRawSync(tampered).toString('base64url')}`;
  for (const [bad, why] of [[tamperedLink, /was edited/], [link.slice(0, link.length - 40), /damaged|cut short/]]) {
    const opened = await open(context, bad);
    await opened.page.waitForSelector('#notice:not([hidden])');
    assert.match(await opened.page.textContent('#notice'), why);
    assert.equal(await opened.page.$('li.step'), null, 'nothing half-shown');
    assert.ok(await opened.page.isEnabled('#question'), 'the app stays usable');
    await screenshot(opened.page, 'damaged-link.png');
  }
  await context.close();
});

test('Esc stops a run, keeps its steps and loads the model again', { timeout: 2 * SLOW }, async () => {
  // The random-weight test model, which never answers by itself: it is still thinking when stopped.
  const server = await serveDist();
  const { page, errors } = await open(browser, server.url);
  await page.click('#model-by-url');
  await page.fill('#model-url', `${server.url}fixture-model`);
  await page.click('#load-model');
  await page.waitForSelector('#model-ready:has-text("Ready: fixture-model")', { timeout: SLOW });
  await page.setInputFiles('#image-input', path.join(FIXTURES, 'two-landmarks.png'));
  await page.fill('#question', 'What is on the right?');
  // Long enough that it is still thinking when stopped.
  await settle(page, { turns: 6, tokens: 256 });
  await page.click('#ask');
  await page.waitForSelector('li.step', { timeout: SLOW });
  await page.keyboard.press('Escape');
  await page.waitForSelector('#stop', { state: 'hidden' });
  assert.match(await page.textContent('#notice'), /Stopped\. The steps so far are kept/);
  assert.ok((await page.$$('li.step')).length >= 1, 'the steps so far are still shown');
  assert.equal(await page.$('#answer'), null, 'no answer was made up');
  await screenshot(page, 'stopped.png');
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  assert.ok(await page.isEnabled('#ask'), 'ready to ask again');
  assert.deepEqual(errors, []);
  await page.close();
  await server.close();
});

test('an exported trace imported from its JSON file is shown as it was', async () => {
  const trace = JSON.parse(fs.readFileSync(SHARED, 'utf8'));
  const { page, errors } = await open(browser, APP_URL);
  await page.setInputFiles('#import-trace', SHARED);
  await page.waitForSelector('li.step');
  await assertShows(page, trace);
  assert.match(await page.textContent('#trace-origin'), /no model ran/);
  await page.setInputFiles('#import-trace', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"steps": [') });
  await page.waitForSelector('#share-message.error');
  assert.match(await page.textContent('#share-message'), /broken\.json cannot be opened/);
  await assertShows(page, trace);
  assert.deepEqual(errors, []);
  await page.close();
});

test('after one visit a question runs with the network off, on a gallery scene', { timeout: 2 * SLOW }, async () => {
  const server = await serveDist();
  const [scene] = await gallery(server.url);
  const context = await browser.newContext();
  const { page } = await open(context, server.url);
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  await page.waitForSelector('#corpus-status:has-text("ready")', { timeout: SLOW });
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Nothing answers on that origin any more: the shell, the model and the corpus come from the
  // browser's caches.
  await server.close();
  await page.reload();
  await page.waitForSelector('#title');
  await ask(page, null, { scene: scene.id });
  const trace = await exported(page);
  assert.ok(trace.steps.length > 0);
  assert.equal(trace.question, scene.question);
  await assertShows(page, trace);
  await screenshot(page, 'offline-run.png');
  await context.close();
});
