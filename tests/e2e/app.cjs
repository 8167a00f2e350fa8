'use strict';
// What the e2e tests share: Debian's Chromium with software WebGPU (never a downloaded browser),
// the running demo (GOG_APP_URL, set by `cargo xtask test`), and how a person asks a question
// and reads the trace view. Screenshots go to GOG_E2E_OUT.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { chromium } = require('playwright-core');

const APP_URL = process.env.GOG_APP_URL;
const OUT = process.env.GOG_E2E_OUT || path.join(__dirname, '..', '..', 'target', 'e2e');
const FIXTURES = path.join(__dirname, '..', 'fixtures');
// SwiftShader compiles every kernel on first use: loading and warming up take minutes.
const SLOW = 420000;

// Chromium, with WebGPU unless `webgpu` is false (a browser without it).
async function launch({ webgpu = true } = {}) {
  assert.ok(APP_URL, 'GOG_APP_URL must name the running app (cargo xtask test sets it)');
  fs.mkdirSync(OUT, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...(webgpu ? ['--enable-unsafe-webgpu'] : [])],
  });
}

// A page at `url` in `context` (a browser or a browser context), with its page errors.
async function open(context, url) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1200, height: 900 });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  await page.waitForSelector('#title');
  return { page, errors };
}

function screenshot(page, name) {
  return page.screenshot({ path: path.join(OUT, name), fullPage: true });
}

// Checks the trace view shows `trace`'s steps in order and its image searches where it made them.
async function assertShows(page, trace) {
  const steps = await page.$$eval('li.step', (items) => items.map((li) => Number(li.dataset.step)));
  assert.deepEqual(steps, trace.steps.map((s) => s.index), 'every step, in order');
  const imageSearches = trace.steps.filter((s) => s.search && s.search.request.kind === 'image');
  const drawn = await page.$$eval('svg.boxes g', (groups) => groups.map((g) => ({
    kind: g.getAttribute('class'), step: Number(g.dataset.step), box: g.dataset.box,
    rect: ['x', 'y', 'width', 'height'].map((a) => Number(g.querySelector('rect').getAttribute(a))),
  })));
  assert.equal(drawn.length, imageSearches.length, 'one region per image search');
  imageSearches.forEach((step, i) => {
    const crop = step.search.request.crop;
    const [x1, y1, x2, y2] = crop ? [crop.x1, crop.y1, crop.x2, crop.y2] : [0, 0, trace.image.width, trace.image.height];
    assert.equal(drawn[i].kind, crop ? 'gaze' : 'glance');
    assert.equal(drawn[i].step, step.index);
    assert.equal(drawn[i].box, `${x1},${y1},${x2},${y2}`);
    assert.deepEqual(drawn[i].rect, [x1, y1, x2 - x1, y2 - y1]);
  });
  const viewBox = await page.getAttribute('svg.boxes', 'viewBox');
  assert.equal(viewBox, `0 0 ${trace.image.width} ${trace.image.height}`);
  for (const step of trace.steps) {
    const results = step.search && step.search.results;
    if (results && (results.kind === 'images' || results.kind === 'texts')) {
      const cards = await page.$$(`li.step[data-step="${step.index}"] .result-card`);
      assert.equal(cards.length, results.value.length, `step ${step.index}'s result cards`);
    }
  }
  assert.equal(await page.textContent('#trace-question'), `“${trace.question}”`);
}

// Asks a question in full-search mode (the harness glances first: the tiny model's random
// weights write no protocol), a few short turns, and waits for the end. The picture is the
// gallery scene `scene` with its own question, or `image` (a Playwright file payload), or the
// two-landmarks fixture, with a question about it; searches go to the offline corpus, or to the
// proxy at `proxy`.
async function ask(page, shot, { proxy, scene, image } = {}) {
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  if (scene) {
    await page.click(`button.scene[data-scene="${scene}"]`);
    await page.waitForSelector(`#image-facts:has-text("${scene}.jpg")`);
  } else {
    await page.setInputFiles('#image-input', image || path.join(FIXTURES, 'two-landmarks.png'));
    await page.waitForSelector('#image-preview');
    await page.fill('#question', 'When was the tower on the left finished?');
  }
  await settle(page, { turns: 2, tokens: 6 });
  if (proxy) {
    await page.check('#search-proxy');
    await page.fill('#proxy-url', proxy);
  }
  await page.focus('#question');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#live-step:not([hidden]), li.step, #notice:not([hidden])', { timeout: SLOW });
  if (await page.isVisible('#notice')) assert.fail(`the run did not start: ${await page.textContent('#notice')}`);
  if (shot) await screenshot(page, shot);
  await page.waitForSelector('#answer', { timeout: SLOW });
}

// Asks the gallery scene `scene` its own question with the page's settings as they are, and
// waits for this run's answer: the previous run's answer panel is marked first, so that only a
// new one counts as the end.
async function askScene(page, scene) {
  await page.click(`button.scene[data-scene="${scene}"]`);
  await page.waitForSelector(`#image-facts:has-text("${scene}.jpg")`);
  await page.evaluate(() => { const shown = document.getElementById('answer'); if (shown) shown.dataset.previous = ''; });
  await page.focus('#question');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#answer:not([data-previous])', { timeout: SLOW });
}

// Full-search mode with at most `turns` model turns of `tokens` tokens each.
async function settle(page, { turns, tokens }) {
  if (!(await page.isVisible('#run-mode'))) await page.click('.run-settings summary');
  await page.selectOption('#run-mode', 'full-search');
  await page.fill('#max-turns', String(turns));
  await page.dispatchEvent('#max-turns', 'change');
  await page.fill('#max-new-tokens', String(tokens));
  await page.dispatchEvent('#max-new-tokens', 'change');
}

// The gallery listing the app ships, as the app would fetch it from `base`.
async function gallery(base) {
  const response = await fetch(new URL('gallery/gallery.json', base));
  assert.ok(response.ok, `the gallery listing answered HTTP ${response.status}`);
  return (await response.json()).scenes;
}

// A PNG file of width × height from its raw rows (each led by its filter byte).
function pngFile(width, height, { bitDepth, colourType }, rows) {
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
  header[8] = bitDepth;
  header[9] = colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A black PNG: a few kilobytes on disk, however many pixels it claims.
function blankPng(width, height) {
  return pngFile(width, height, { bitDepth: 1, colourType: 0 }, Buffer.alloc(height * (1 + Math.ceil(width / 8))));
}

// An RGB PNG of random noise, which no compressor shrinks.
function noisePng(width, height) {
  const stride = 1 + 3 * width;
  const rows = crypto.randomBytes(height * stride);
  for (let y = 0; y < height; y += 1) rows[y * stride] = 0;
  return pngFile(width, height, { bitDepth: 8, colourType: 2 }, rows);
}

// The trace the app exports, as JSON.
async function exported(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-trace')]);
  return JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
}

// The built app (`dist/`, which the demo's `trunk serve` wrote) served by a plain static server
// on 127.0.0.1, so the test can take the whole network away by closing it. Three more packages,
// all the tiny random-weight test model (tests/fixtures/models/tiny-qwen3-vl-q8) underneath:
// - `/fixture-model/`: as it is, for tests that need a model that never stops by itself;
// - `/broken-model/`: one byte of its weights changed;
// - `/flaky-model*/` (any suffix, so each test gets fresh URLs): the first request for its
//   weights gets half of them, then the connection drops; while `flaky.refusing` is set, every
//   later request answers 503; others honour `Range: bytes=N-`. `flaky.requests` lists the
//   Range header of every request for those weights (null for none).
function serveDist() {
  const root = path.join(__dirname, '..', '..', 'dist');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
    '.svg': 'image/svg+xml', '.json': 'application/json', '.jpg': 'image/jpeg',
    '.webmanifest': 'application/manifest+json' };
  const flaky = { refusing: false, requests: [] };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    const fixture = url.pathname.startsWith('/fixture-model/');
    const broken = url.pathname.startsWith('/broken-model/');
    const unsteady = /^\/flaky-model[^/]*\//.test(url.pathname);
    if (fixture || broken || unsteady) file = path.join(FIXTURES, 'models', 'tiny-qwen3-vl-q8', path.basename(url.pathname));
    if (url.pathname.endsWith('/')) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) { res.writeHead(404).end(); return; }
      const weights = file.endsWith('.safetensors');
      if (broken && weights) body[body.length - 1] ^= 0xff;
      if (unsteady && weights) { serveFlaky(flaky, req, res, body); return; }
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' }).end(body);
    });
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    flaky,
    close: () => new Promise((done) => { server.close(done); sockets.forEach((s) => s.destroy()); }),
  })));
}

function serveFlaky(flaky, req, res, body) {
  const range = req.headers.range || null;
  flaky.requests.push(range);
  const headers = { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' };
  if (flaky.requests.length === 1) {
    res.writeHead(200, { ...headers, 'content-length': body.length });
    // The reset waits until the half has arrived: a reset discards what the receiver has not
    // read yet.
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket.destroy(), 300));
    return;
  }
  if (flaky.refusing) { res.writeHead(503, headers).end(); return; }
  const start = Number((/^bytes=(\d+)-$/.exec(range || '') || [])[1] || 0);
  if (start === 0) { res.writeHead(200, headers).end(body); return; }
  res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` })
    .end(body.subarray(start));
}

module.exports = {
  APP_URL, OUT, FIXTURES, SLOW, launch, open, screenshot, assertShows, ask, askScene, settle, gallery, exported, serveDist,
  blankPng, noisePng,
};
