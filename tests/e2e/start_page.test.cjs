'use strict';
// The start page as a person sees it, in Debian's Chromium with software WebGPU, against the
// running demo (GOG_APP_URL, set by `cargo xtask test`). Screenshots go to GOG_E2E_OUT.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { APP_URL, FIXTURES, SLOW, launch, open, screenshot, gallery, blankPng } = require('./app.cjs');

const FIXTURE = path.join(FIXTURES, 'two-landmarks.png');

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function openPage(url) {
  return open(browser, url);
}

test('the start page shows the product, WebGPU status and a healthy proxy', async () => {
  const { page, errors } = await openPage(APP_URL);
  assert.match(await page.textContent('#title'), /GoG/);
  assert.match(await page.textContent('.pitch'), /vision-language model in your browser/);

  await page.waitForSelector('#webgpu-status[data-state="available"]', { timeout: 30000 });
  const adapter = await page.textContent('#adapter-name');
  console.log(`app sees WebGPU adapter: ${adapter}`);
  assert.ok(adapter.trim().length > 0);
  assert.equal(await page.textContent('#shader-f16'), 'no (f32 weights)', 'SwiftShader has no shader-f16');
  assert.match(await page.textContent('#max-buffer-size'), /\d+(\.\d)? (MiB|GiB)/);
  assert.match(await page.textContent('#max-binding-size'), /\d+(\.\d)? (MiB|GiB)/);

  await page.waitForSelector('#proxy-status[data-state="ok"]', { timeout: 30000 });
  assert.equal(await page.textContent('#proxy-health'), 'ok');
  assert.equal(await page.textContent('#proxy-backends'), 'offline');

  // GoG-Tiny is shipped and picked by default; its sizes change when it is retrained.
  const shipped = '.package-facts[data-package="models/gog-tiny-q8"]';
  await page.waitForSelector(`${shipped} .facts-line`);
  assert.ok(await page.isChecked('input[name="model"][value="models/gog-tiny-q8"]'), 'GoG-Tiny is the default');
  assert.match(await page.textContent(`${shipped} .facts-line`), /^\d+\.\d MiB to download · Q8 weights · qwen3_vl$/);
  assert.match(await page.textContent(`${shipped} .note`), /^Runs on any WebGPU adapter or on the CPU; needs between \d+\.\d MiB and \d+\.\d MiB of memory/);

  await screenshot(page, 'start-page.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the model runs where it is faster unless the person picks a device, and the page says why', { timeout: 2 * SLOW }, async () => {
  const { page, errors } = await openPage(APP_URL);
  assert.ok(await page.isChecked('input[name="device"][value="auto"]'), 'Automatic is the default');
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  assert.equal(await page.getAttribute('#model-device', 'data-device'), 'cpu');
  assert.match(await page.textContent('#model-device'), /Running on the CPU: chosen automatically: a model this small \(\d+(\.\d)? [kM] weights per token\)/);

  await page.check('input[name="device"][value="webgpu"]');
  await page.click('#load-model');
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  assert.equal(await page.getAttribute('#model-device', 'data-device'), 'webgpu');
  assert.match(await page.textContent('#model-device'), /Running on WebGPU \(.+\): WebGPU was chosen in the settings/);
  await screenshot(page, 'device-webgpu.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a person picks an image and a question; bad files are refused without losing the image', async () => {
  const { page, errors } = await openPage(APP_URL);

  await page.click('button.example >> nth=0');
  assert.equal(await page.inputValue('#question'), 'When was the tower on the left finished?');
  await page.fill('#question', 'Which landmark is red?');
  assert.equal(await page.inputValue('#question'), 'Which landmark is red?');

  await page.setInputFiles('#image-input', FIXTURE);
  await page.waitForSelector('#image-preview');
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  assert.match(await page.textContent('#image-facts'), /two-landmarks\.png · PNG · 64×48/);
  assert.match(await page.textContent('#ask-note'), /Image and question are ready/);

  await page.setInputFiles('#image-input', {
    name: 'notes.txt', mimeType: 'image/png', buffer: Buffer.from('definitely not a picture'),
  });
  await page.waitForSelector('#image-error:not([hidden])');
  assert.match(await page.textContent('#image-error'), /notes\.txt: this file is not an image/);
  assert.ok(await page.isVisible('#image-preview'), 'the earlier image is kept');

  await page.setInputFiles('#image-input', { name: 'huge.png', mimeType: 'image/png', buffer: blankPng(10000, 5000) });
  await page.waitForSelector('#image-error:has-text("huge.png")');
  assert.match(await page.textContent('#image-error'), /huge\.png: this image is 10000×5000 \(50\.0 MP\); the limit is 40 MP/);
  assert.match(await page.textContent('#image-facts'), /two-landmarks\.png/, 'the earlier image is kept');

  await screenshot(page, 'start-page-with-image.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the gallery puts a GoG-Offline scene and its question in place', async () => {
  const scenes = await gallery(APP_URL);
  assert.deepEqual([...new Set(scenes.map((s) => s.category))].sort(), ['gaze', 'glance', 'multi-hop', 'no-search', 'text']);
  const { page, errors } = await openPage(APP_URL);
  await page.waitForSelector('button.scene');
  assert.deepEqual(await page.$$eval('button.scene', (b) => b.map((x) => x.dataset.scene)), scenes.map((s) => s.id));

  const gaze = scenes.find((s) => s.category === 'gaze');
  await page.click(`button.scene[data-scene="${gaze.id}"]`);
  await page.waitForSelector(`#image-facts:has-text("${gaze.id}.jpg · JPEG · ${gaze.width}×${gaze.height}")`);
  assert.equal(await page.inputValue('#question'), gaze.question);
  assert.match(await page.textContent('#scene-note'), new RegExp(`Scene ${gaze.id}, a gaze question`));
  assert.equal(await page.isVisible('#scene-answer'), false, 'the answer waits until asked for');
  await page.click('#scene-note summary');
  assert.ok(await page.isVisible('#scene-answer'), 'the answer shows when asked for');
  assert.equal(await page.textContent('#scene-answer'), gaze.answer);
  await screenshot(page, 'gallery-scene.png');

  // A picture of one's own replaces the scene, and the scene's note goes with it.
  await page.setInputFiles('#image-input', FIXTURE);
  await page.waitForSelector('#scene-note', { state: 'detached' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a proxy that is down is reported clearly and the page stays usable', async () => {
  const url = new URL(APP_URL);
  url.searchParams.set('proxy', 'http://127.0.0.1:9');
  const { page, errors } = await openPage(url.toString());
  await page.waitForSelector('#proxy-status[data-state="error"]', { timeout: 30000 });
  assert.equal(await page.textContent('#proxy-health'), 'unreachable');
  assert.match(await page.textContent('#proxy-error'), /no answer from http:\/\/127\.0\.0\.1:9\/v1\/health/);
  await page.fill('#question', 'Still works?');
  assert.equal(await page.inputValue('#question'), 'Still works?');
  await screenshot(page, 'proxy-down.png');
  assert.deepEqual(errors, []);
  await page.close();
});

