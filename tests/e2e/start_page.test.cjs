'use strict';
// The start page as a person sees it, in Debian's Chromium with software WebGPU, against the
// running demo (GOG_APP_URL, set by `cargo xtask test`). Screenshots go to GOG_E2E_OUT.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const APP_URL = process.env.GOG_APP_URL;
const OUT = process.env.GOG_E2E_OUT || path.join(__dirname, '..', '..', 'target', 'e2e');
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'two-landmarks.png');

let browser;

before(async () => {
  assert.ok(APP_URL, 'GOG_APP_URL must name the running app (cargo xtask test sets it)');
  fs.mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});
after(async () => { await browser?.close(); });

async function openPage(url) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  await page.waitForSelector('#title');
  return { page, errors };
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

  await page.screenshot({ path: path.join(OUT, 'start-page.png'), fullPage: true });
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
  assert.match(await page.textContent('#image-facts'), /two-landmarks\.png · PNG · 64×48/);
  assert.match(await page.textContent('#ask-note'), /Image and question are ready/);

  await page.setInputFiles('#image-input', {
    name: 'notes.txt', mimeType: 'image/png', buffer: Buffer.from('definitely not a picture'),
  });
  await page.waitForSelector('#image-error:not([hidden])');
  assert.match(await page.textContent('#image-error'), /notes\.txt: this file is not an image/);
  assert.ok(await page.isVisible('#image-preview'), 'the earlier image is kept');

  await page.screenshot({ path: path.join(OUT, 'start-page-with-image.png'), fullPage: true });
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
  await page.screenshot({ path: path.join(OUT, 'proxy-down.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
