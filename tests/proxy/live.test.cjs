'use strict';
// Live, record and replay modes in the real Workers runtime, against the providers' test double
// on 127.0.0.1: provider requests, retries, timeouts, Retry-After, malformed answers, the spend
// cap, and that no key ever reaches a response or the log.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startWorker, post } = require('./worker.cjs');
const { startUpstream } = require('./upstream.cjs');

const PICTURE = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'two-landmarks.png')));
const SECRETS = {
  TOKEN_SECRET: 'a-token-secret-that-is-long-enough-for-tests',
  SERPAPI_KEY: 'serpapi-key-7f3a',
  SERPER_KEY: 'serper-key-91bc',
  BRAVE_KEY: 'brave-key-22de',
  GOOGLE_VISION_KEY: 'vision-key-5e10',
  JINA_KEY: 'jina-key-c4f8',
};
const KEY_VALUES = Object.values(SECRETS);

let upstream;
let state;
before(async () => {
  upstream = await startUpstream();
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'gog-proxy-kv-'));
});
after(async () => {
  await upstream?.close();
  fs.rmSync(state, { recursive: true, force: true });
});

function live(vars = {}, options = {}) {
  return startWorker({
    vars: (url) => ({ TEST_UPSTREAM: upstream.origin, PUBLIC_URL: url, ...vars }),
    secrets: SECRETS,
    ...options,
  });
}

function assertNoKeys(text, where) {
  for (const key of KEY_VALUES) assert.ok(!text.includes(key), `a key leaked into ${where}`);
}

test('record mode searches through the providers, then replay answers from the store alone', async () => {
  upstream.clear();
  const recorder = await live({ SEARCH_MODE: 'record' }, { state });
  let texts;
  try {
    const images = await post(`${recorder.url}/v1/search/image?k=2`, PICTURE);
    assert.equal(images.status, 200, images.text);
    assert.equal(images.json.provider, 'google_vision+brave+jina');
    assert.equal(images.json.results[0].title, 'Eiffel Tower - Wikipedia');
    texts = await post(`${recorder.url}/v1/search/text`, { query: 'eiffel tower completed', k: 2 });
    assert.equal(texts.status, 200, texts.text);
    const page = await post(`${recorder.url}/v1/read`, { token: texts.json.results[0].token });
    assert.equal(page.status, 200, page.text);
    assert.match(page.json.text, /1889/);
    for (const response of [images, texts, page]) assertNoKeys(response.text, 'a response');

    const [vision, brave, jina] = upstream.requests;
    assert.equal(vision.headers['x-goog-api-key'], SECRETS.GOOGLE_VISION_KEY);
    assert.equal(JSON.parse(vision.body).requests[0].image.content, Buffer.from(PICTURE).toString('base64'));
    assert.equal(brave.headers['x-subscription-token'], SECRETS.BRAVE_KEY);
    assert.equal(jina.url, '/https://en.wikipedia.org/wiki/Eiffel_Tower');
    assert.equal(jina.headers.authorization, `Bearer ${SECRETS.JINA_KEY}`);
  } finally {
    await recorder.stop();
  }
  assertNoKeys(recorder.log(), 'the log');

  upstream.clear();
  const replayer = await live({ SEARCH_MODE: 'replay' }, { state });
  try {
    const again = await post(`${replayer.url}/v1/search/text`, { query: 'eiffel  tower completed', k: 2 });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.served, 'store');
    assert.deepEqual(again.json.results.map((r) => r.url), texts.json.results.map((r) => r.url));
    const unrecorded = await post(`${replayer.url}/v1/search/text`, { query: 'never asked' });
    assert.equal(unrecorded.status, 404);
    assert.equal(unrecorded.json.error.code, 'not_recorded');
    assert.equal(upstream.requests.length, 0, 'replay calls no provider');
  } finally {
    await replayer.stop();
  }
});

test('serpapi_lens fetches the crop from a signed URL this worker serves', async () => {
  upstream.clear();
  const worker = await live({ SEARCH_MODE: 'live', IMAGE_PROVIDER: 'serpapi_lens', TEXT_PROVIDER: 'serpapi' });
  try {
    const found = await post(`${worker.url}/v1/search/image`, PICTURE);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.json.results[1].title, 'The Eiffel Tower: history & facts');
    const [lens] = upstream.requests;
    assert.equal(new URL(lens.url, 'http://x').searchParams.get('api_key'), SECRETS.SERPAPI_KEY);
    assert.equal(lens.fetchedImage.status, 200);
    assert.equal(lens.fetchedImage.type, 'image/png');
    assert.deepEqual(new Uint8Array(lens.fetchedImage.bytes), PICTURE);
    const text = await post(`${worker.url}/v1/search/text`, { query: 'eiffel tower' });
    assert.equal(text.json.results[0].url, 'https://en.wikipedia.org/wiki/Eiffel_Tower');
  } finally {
    await worker.stop();
  }
  assertNoKeys(worker.log(), 'the log');
});

test('provider faults: retried when they may pass, reported when they do not', async () => {
  const worker = await live({ SEARCH_MODE: 'live', TEXT_PROVIDER: 'serper' });
  try {
    const ask = (query) => post(`${worker.url}/v1/search/text`, { query });

    upstream.clear();
    upstream.fault({ status: 500 }, { status: 429, retryAfter: 1 });
    const started = Date.now();
    const recovered = await ask('after a 500 and a 429');
    assert.equal(recovered.status, 200, recovered.text);
    assert.equal(upstream.requests.length, 3);
    assert.ok(Date.now() - started >= 1000, 'Retry-After: 1 was honoured');

    upstream.clear();
    upstream.fault({ hang: true });
    const afterTimeout = await ask('after a hang');
    assert.equal(afterTimeout.status, 200, afterTimeout.text);
    assert.equal(upstream.requests.length, 2);

    upstream.clear();
    upstream.fault({ stallBody: true });
    const afterStall = await ask('after a stalled body');
    assert.equal(afterStall.status, 200, afterStall.text);

    upstream.clear();
    upstream.fault({ malformed: true });
    const malformed = await ask('malformed');
    assert.equal(malformed.status, 502);
    assert.equal(malformed.json.error.code, 'upstream_failed');
    assert.match(malformed.json.error.message, /serper answered with JSON of an unexpected shape/);

    upstream.clear();
    upstream.fault({ status: 503 }, { status: 503 }, { status: 503 });
    const down = await ask('down');
    assert.equal(down.status, 502);
    assert.match(down.json.error.message, /serper failed 3 times; last: answered 503/);
    assert.ok(!down.text.includes('should-never-be-echoed'));

    upstream.clear();
    upstream.fault({ status: 401 });
    const refused = await ask('bad key');
    assert.equal(refused.status, 502);
    assert.equal(upstream.requests.length, 1, 'a 401 is not retried');
    for (const response of [malformed, down, refused]) assertNoKeys(response.text, 'an error');
  } finally {
    await worker.stop();
  }
  assertNoKeys(worker.log(), 'the log');
});

test('the daily spend cap stops calls to a provider until midnight UTC', async () => {
  upstream.clear();
  // Brave lists $0.005 a search: a $0.01 cap allows two.
  const worker = await live({ SEARCH_MODE: 'record', DAILY_SPEND_CAP_USD: '0.01' });
  try {
    const ask = (query) => post(`${worker.url}/v1/search/text`, { query });
    assert.equal((await ask('one')).status, 200);
    assert.equal((await ask('two')).status, 200);
    const capped = await ask('three');
    assert.equal(capped.status, 503);
    assert.equal(capped.json.error.code, 'daily_cap_reached');
    const retryAfter = Number(capped.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 86400, String(retryAfter));
    assert.equal(upstream.requests.length, 2, 'the capped call was not made');
  } finally {
    await worker.stop();
  }
});

test('a live proxy without its keys says which secret is missing', async () => {
  const worker = await startWorker({ vars: { SEARCH_MODE: 'live' }, secrets: { TOKEN_SECRET: SECRETS.TOKEN_SECRET } });
  try {
    const health = await fetch(`${worker.url}/v1/health`);
    assert.equal(health.status, 500);
    assert.match((await health.json()).error.message, /BRAVE_KEY is not set/);
  } finally {
    await worker.stop();
  }
});
