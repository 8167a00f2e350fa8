'use strict';
// Offline mode in the real Workers runtime, over the made-up corpus: search, read, shared
// traces, and every input limit and the rate limit as the API documents them.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { startWorker, post } = require('./worker.cjs');

const PICTURE = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'two-landmarks.png')));
let worker;

before(async () => { worker = await startWorker(); });
after(async () => { await worker?.stop(); });

test('text search returns tokens that read their pages', async () => {
  const found = await post(`${worker.url}/v1/search/text`, { query: 'Country 3', k: 3 });
  assert.equal(found.status, 200, found.text);
  assert.equal(found.json.provider, 'offline');
  assert.equal(found.json.served, 'backend');
  assert.match(found.json.key, /^[0-9a-f]{64}$/);
  assert.equal(found.json.results.length, 3);
  const [first] = found.json.results;
  assert.ok(first.title && first.snippet && first.token, JSON.stringify(first));

  const page = await post(`${worker.url}/v1/read`, { token: first.token });
  assert.equal(page.status, 200, page.text);
  assert.equal(page.json.id, first.page);
  assert.ok(page.json.text.length > 0);
});

test('a forged or malformed read token is refused with 403', async () => {
  for (const token of ['eyJ1IjoiaHR0cDovLzEwLjAuMC4xIn0.AAAA', 'no-dot', '']) {
    const refused = await post(`${worker.url}/v1/read`, { token });
    assert.equal(refused.status, 403, token);
    assert.equal(refused.json.error.code, 'invalid_token');
  }
});

test('image search takes image bytes and ?k=', async () => {
  const found = await post(`${worker.url}/v1/search/image?k=4`, PICTURE);
  assert.equal(found.status, 200, found.text);
  assert.equal(found.json.results.length, 4);
  assert.match(found.json.results[0].thumbnail, /^data:image\//);
  const badK = await post(`${worker.url}/v1/search/image?k=11`, PICTURE);
  assert.equal(badK.status, 400);
});

test('bodies over the limit are refused with 413', async () => {
  const tooBig = await post(`${worker.url}/v1/search/image`, new Uint8Array(4 * 1024 * 1024 + 1));
  assert.equal(tooBig.status, 413);
  assert.equal(tooBig.json.error.code, 'payload_too_large');
  const longJson = await post(`${worker.url}/v1/search/text`, { query: 'x', pad: 'y'.repeat(20000) });
  assert.equal(longJson.status, 413);
});

test('images are judged by magic bytes (415) and by header size before decoding (422)', async () => {
  const gif = await post(`${worker.url}/v1/search/image`, new TextEncoder().encode('GIF89a.........'), {
    headers: { 'content-type': 'image/png' },
  });
  assert.equal(gif.status, 415);
  assert.equal(gif.json.error.code, 'unsupported_media_type');

  // The PNG with its header changed to claim 50,000 × 50,000 pixels: a decompression bomb.
  const bomb = Buffer.from(PICTURE);
  bomb.writeUInt32BE(50000, 16);
  bomb.writeUInt32BE(50000, 20);
  bomb.writeUInt32BE(zlib.crc32(bomb.subarray(12, 29)), 29);
  const refused = await post(`${worker.url}/v1/search/image`, new Uint8Array(bomb));
  assert.equal(refused.status, 422, refused.text);
  assert.equal(refused.json.error.code, 'image_too_large');
});

test('queries are checked: empty, too long, unknown fields, bad JSON', async () => {
  for (const body of [{ query: '   ' }, { query: 'a'.repeat(401) }, { query: 'x', url: 'http://10.0.0.1' }, 'not json', { query: 'x', k: 0 }]) {
    const refused = await post(`${worker.url}/v1/search/text`, body);
    assert.equal(refused.status, 400, JSON.stringify(body));
    assert.equal(refused.json.error.code, 'bad_request');
  }
});

function sealedTrace() {
  // A real trace, written by the agent's own tests' format (docs/TRACE.md).
  const file = path.join(__dirname, '..', 'fixtures', 'trace', 'answered.json');
  return fs.readFileSync(file, 'utf8');
}

test('a trace is shared by its content id and fetched back unchanged', async () => {
  const trace = sealedTrace();
  const stored = await post(`${worker.url}/v1/traces`, trace, { method: 'PUT' });
  assert.equal(stored.status, 201, stored.text);
  assert.match(stored.json.id, /^sha256:[0-9a-f]{64}$/);
  const fetched = await fetch(`${worker.url}${stored.json.url}`);
  assert.equal(fetched.status, 200);
  assert.equal(await fetched.text(), trace);
  assert.match(fetched.headers.get('cache-control'), /immutable/);

  const edited = await post(`${worker.url}/v1/traces`, trace.replace('"question":"', '"question":"Edited: '), { method: 'PUT' });
  assert.equal(edited.status, 400);
  assert.equal(edited.json.error.code, 'invalid_trace');
  const notJson = await post(`${worker.url}/v1/traces`, '{"version": 1', { method: 'PUT' });
  assert.equal(notJson.status, 400);
  const missing = await fetch(`${worker.url}/v1/traces/sha256:${'0'.repeat(64)}`);
  assert.equal(missing.status, 404);
  const traversal = await fetch(`${worker.url}/v1/traces/..%2F..%2Fetc`);
  assert.equal(traversal.status, 400);
});

test('an image URL this proxy did not sign is refused', async () => {
  const refused = await fetch(`${worker.url}/v1/images/${'a'.repeat(64)}?exp=9999999999&sig=AAAA`);
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).error.code, 'invalid_signature');
});

test('the rate limit answers 429 with Retry-After after exactly the configured count', async () => {
  const limited = await startWorker({ rateLimit: 3 });
  try {
    const statuses = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await post(`${limited.url}/v1/search/text`, { query: `Country ${i}` });
      statuses.push(response.status);
      if (response.status === 429) {
        assert.equal(response.json.error.code, 'rate_limited');
        assert.equal(response.headers.get('retry-after'), '60');
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal((await fetch(`${limited.url}/v1/health`)).status, 200, 'health is not limited');
  } finally {
    await limited.stop();
  }
});
