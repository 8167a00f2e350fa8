'use strict';
// What the e2e tests share: Debian's Chromium with software WebGPU (never a downloaded browser),
// the running demo (GOG_APP_URL, set by `cargo xtask test`), and how a person asks a question
// and reads the trace view. Screenshots go to GOG_E2E_OUT.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
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

// Asks about the two-landmarks picture in full-search mode (the harness glances first: the
// tiny model's random weights write no protocol), a few short turns, and waits for the end.
async function ask(page, shot, search) {
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  await page.setInputFiles('#image-input', path.join(FIXTURES, 'two-landmarks.png'));
  await page.fill('#question', 'When was the tower on the left finished?');
  await page.click('.run-settings summary');
  await page.selectOption('#run-mode', 'full-search');
  await page.fill('#max-turns', '2');
  await page.dispatchEvent('#max-turns', 'change');
  await page.fill('#max-new-tokens', '6');
  await page.dispatchEvent('#max-new-tokens', 'change');
  if (search) {
    await page.check('#search-proxy');
    await page.fill('#proxy-url', search);
  }
  await page.focus('#question');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#live-step:not([hidden]), li.step, #notice:not([hidden])', { timeout: SLOW });
  if (await page.isVisible('#notice')) assert.fail(`the run did not start: ${await page.textContent('#notice')}`);
  if (shot) await screenshot(page, shot);
  await page.waitForSelector('#answer', { timeout: SLOW });
}

// The trace the app exports, as JSON.
async function exported(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-trace')]);
  return JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
}

// The built app (`dist/`, which the demo's `trunk serve` wrote) served by a plain static server
// on 127.0.0.1, so the test can take the whole network away by closing it.
function serveDist() {
  const root = path.join(__dirname, '..', '..', 'dist');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
    '.svg': 'image/svg+xml', '.json': 'application/json', '.webmanifest': 'application/manifest+json' };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    // `/broken-model/`: the shipped package with one byte of its weights changed.
    const broken = url.pathname.startsWith('/broken-model/');
    if (broken) file = path.join(root, 'models', 'tiny-qwen3-vl-q8', path.basename(url.pathname));
    if (url.pathname.endsWith('/')) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) { res.writeHead(404).end(); return; }
      if (broken && file.endsWith('.safetensors')) body[body.length - 1] ^= 0xff;
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' }).end(body);
    });
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((done) => { server.close(done); sockets.forEach((s) => s.destroy()); }),
  })));
}


module.exports = { APP_URL, FIXTURES, SLOW, launch, open, screenshot, assertShows, ask, exported, serveDist };
