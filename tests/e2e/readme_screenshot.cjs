'use strict';
// The README's screenshot: the app, with its default settings, asked one gallery scene of the
// running demo, once the run has answered.
//
//   cargo xtask demo &    # the real corpus's gallery, on http://127.0.0.1:8080
//   GOG_APP_URL=http://127.0.0.1:8080/ NODE_PATH=~/.cache/gog/tools/npm/node_modules \
//     node tests/e2e/readme_screenshot.cjs SCENE_ID [OUT.png]
//
// OUT defaults to docs/images/app-answering.png. The gallery test checks that the README opens
// with it.

const path = require('node:path');
const { APP_URL, SLOW, launch, open, askScene } = require('./app.cjs');

async function main() {
  const [scene, out = path.join(__dirname, '..', '..', 'docs', 'images', 'app-answering.png')] = process.argv.slice(2);
  if (!scene) throw new Error('usage: readme_screenshot.cjs SCENE_ID [OUT.png]');
  const browser = await launch();
  try {
    const { page } = await open(browser, APP_URL);
    await page.waitForSelector('#model-status[data-state="ready"]', { timeout: SLOW });
    await askScene(page, scene);
    await page.screenshot({ path: out, fullPage: true });
    console.log(`${out}: ${scene} answered "${(await page.textContent('#answer')).trim().slice(0, 120)}"`);
  } finally {
    await browser.close();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
