'use strict';
// The gallery's scenes asked in the app with its default settings, against the running demo:
// the shipped GoG-Tiny in the browser must run every scene exactly as `gog eval` runs it on the
// CPU (greedy), turn for turn. `gog eval` also judges the answers against the scenes' gold,
// and the test prints how many are right (MODEL.md reports that count). The CLI's side runs on
// the same made-up corpus the demo serves (GOG_GALLERY_CORPUS) with the binary in GOG_BIN.
// Beside it: the README opens with a screenshot of the app answering a scene.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { APP_URL, OUT, SLOW, launch, open, screenshot, askScene, gallery, exported } = require('./app.cjs');

const GOG_BIN = process.env.GOG_BIN;
const CORPUS = process.env.GOG_GALLERY_CORPUS;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// What must agree between two runs of one scene: every step's actor, the model's tokens, reply
// and the action it parsed to, the search each step made, and how the run ended.
function turns(trace) {
  return {
    steps: trace.steps.map((step) => ({
      actor: step.actor,
      raw: step.raw ?? null,
      tokens: step.tokens ?? null,
      action: step.action ?? null,
      search: step.search ? step.search.request : null,
      titles: step.search && Array.isArray(step.search.results.value)
        ? step.search.results.value.map((result) => result.title ?? null) : null,
    })),
    outcome: trace.outcome,
  };
}

test('the README opens with a screenshot of the app (made by tests/e2e/readme_screenshot.cjs)', () => {
  const root = path.join(__dirname, '..', '..');
  const opening = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split(/^## /m)[0];
  const image = /!\[[^\]]+\]\(([^)]+\.png)\)/.exec(opening);
  assert.ok(image, 'the README\'s opening shows a screenshot');
  const bytes = fs.readFileSync(path.join(root, image[1]));
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${image[1]} is a PNG`);
  // Width and height from the IHDR chunk: a screenshot of the page, not an icon.
  assert.ok(bytes.readUInt32BE(16) >= 800 && bytes.readUInt32BE(20) >= 600, `${image[1]} is a screenshot of the page`);
});

// `gog eval` of the shipped package on the made-up corpus's test split, whose first scenes of
// each category are the gallery: each scene's trace, judged against its gold, by scene id.
function cliTraces() {
  assert.ok(GOG_BIN && CORPUS, 'GOG_BIN and GOG_GALLERY_CORPUS must be set (cargo xtask test sets them)');
  const dir = path.join(OUT, 'gallery-cli');
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync(GOG_BIN, [
    'eval', '--set', path.join(CORPUS, 'gog-offline', 'test.jsonl'), '--corpus', CORPUS,
    '--traces', path.join(dir, 'traces'),
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Map(fs.readdirSync(path.join(dir, 'traces')).map((file) => [
    path.basename(file, '.json'), JSON.parse(fs.readFileSync(path.join(dir, 'traces', file), 'utf8')),
  ]));
}

test('every gallery scene runs in the browser exactly as gog runs it on the CPU, and the right answers are counted', { timeout: 10 * SLOW }, async () => {
  const scenes = await gallery(APP_URL);
  const cli = cliTraces();
  for (const scene of scenes) assert.ok(cli.has(scene.id), `gog eval ran gallery scene ${scene.id}`);
  const { page, errors } = await open(browser, APP_URL);
  await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
  const right = [];
  for (const scene of scenes) {
    await askScene(page, scene.id);
    const browserTrace = await exported(page);
    const cliTrace = cli.get(scene.id);
    assert.equal(browserTrace.question, scene.question);
    assert.deepEqual(browserTrace.model, cliTrace.model, `${scene.id}: the same model and weights`);
    assert.deepEqual(browserTrace.sampling, cliTrace.sampling, `${scene.id}: greedy, as gog eval decodes`);
    assert.deepEqual(browserTrace.settings, cliTrace.settings, `${scene.id}: the same settings`);
    assert.deepEqual(turns(browserTrace), turns(cliTrace), `${scene.id}: the browser ran the scene as gog does`);
    if (cliTrace.judgement && cliTrace.judgement.exact_match) right.push(scene.id);
    await screenshot(page, `gallery-${scene.id}.png`);
  }
  console.log(`gallery: ${right.length} of ${scenes.length} answered right in the browser and by gog (${right.join(', ') || 'none'})`);
  assert.deepEqual(errors, []);
  await page.close();
});
