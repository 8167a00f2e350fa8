'use strict';
// Hostile input against the real worker in workerd (through `wrangler dev --local`), each case
// answered with the documented typed error, nothing loading the corpus that the request alone
// could refuse, nothing hanging in the worker, and a shared trace's bytes never changing.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { startWorker, post, png } = require('./worker.cjs');

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const PICTURE = new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'two-landmarks.png')));
const TRACE = fs.readFileSync(path.join(FIXTURES, 'trace', 'answered.json'), 'utf8');
const PNG_SIGNATURE = png(1, 1).subarray(0, 8);

let worker;
before(async () => { worker = await startWorker({ rateLimit: 1000 }); });
after(async () => { await worker?.stop(); });

const searches = (url) => [`${url}/v1/search/image`, `${url}/v1/search/text`, `${url}/v1/read`];

// `target`'s own request lines since `from` (its log's length then): "POST /v1/read 413 …".
function workerLines(target, from) {
  return target.log().slice(from).split('\n').filter((line) => /^[A-Z]+ \/v1\//.test(line));
}

// `target`'s logged answer to `path` since `from` (its log's length then), waiting up to
// `waitMs`; undefined if it logged none.
async function workerAnswer(target, from, path, waitMs) {
  const started = Date.now();
  for (;;) {
    const line = workerLines(target, from).find((l) => l.includes(` ${path} `));
    if (line || Date.now() - started > waitMs) return line;
    await new Promise((done) => setTimeout(done, 50));
  }
}

// Sends `head` (request line and headers) and no body to `target` on a raw socket; resolves
// when the worker has logged its answer to `path`, with what the client had heard by then.
// `wrangler dev`'s own proxy in front of the worker holds the answer until the declared body
// has arrived, so the worker's log is where its answer shows.
async function headersOnly(target, head, path, { waitMs = 10000 } = {}) {
  const { hostname, port } = new URL(target.url);
  const from = target.log().length;
  const socket = net.connect(Number(port), hostname);
  let heard = '';
  socket.on('data', (data) => { heard += data.toString(); });
  socket.on('error', () => {});
  const started = Date.now();
  socket.write(head);
  const line = await workerAnswer(target, from, path, waitMs);
  socket.destroy();
  if (!line) throw new Error(`the worker did not answer ${path} within ${waitMs} ms from the headers alone`);
  return { line, heard, ms: Date.now() - started };
}

test('refused requests never load the corpus; the first good search does', async () => {
  const cold = await startWorker();
  try {
    const refusals = [
      [`${cold.url}/v1/search/image`, new Uint8Array(Buffer.concat([PNG_SIGNATURE, Buffer.from('<html>junk</html>')])), 415],
      [`${cold.url}/v1/search/image?k=0`, PICTURE, 400],
      [`${cold.url}/v1/search/text`, '["Eiffel Tower", 2]', 400],
      [`${cold.url}/v1/read`, { token: 'eyJ1IjoiaHR0cDovLzEwLjAuMC4xIn0.AAAA' }, 403],
    ];
    for (const [url, body, status] of refusals) {
      const refused = await post(url, body);
      assert.equal(refused.status, status, `${url}: ${refused.text}`);
    }
    assert.doesNotMatch(cold.log(), /offline corpus .* loaded/, 'a refusal loaded the corpus');
    const found = await post(`${cold.url}/v1/search/text`, { query: 'Country 3' });
    assert.equal(found.status, 200, found.text);
    assert.equal(cold.log().match(/offline corpus .* loaded/g).length, 1);
  } finally {
    await cold.stop();
  }
});

test('methods the API does not name are 405 with Allow, whatever their name', async () => {
  for (const [method, route, allow] of [
    ['PROPFIND', '/v1/health', 'GET, HEAD'],
    ['MKCOL', '/v1/traces', 'PUT'],
    ['DELETE', '/v1/search/text', 'POST'],
    ['HEAD', '/v1/search/image', 'POST'],
  ]) {
    const response = await fetch(`${worker.url}${route}`, { method });
    assert.equal(response.status, 405, `${method} ${route}`);
    assert.equal(response.headers.get('allow'), allow, `${method} ${route}`);
  }
});

test('bodies must be JSON objects with the route\'s fields', async () => {
  const [, text, read] = searches(worker.url);
  for (const [url, body] of [
    [text, '["Eiffel Tower", 2]'],
    [text, '"Eiffel Tower"'],
    [text, 'null'],
    [text, '{"query": "Eiffel Tower", "query": "Big Ben"}'],
    [text, '{"query": "Eiffel Tower", "extra": 1}'],
    [read, '["a token"]'],
    [read, '[]'],
  ]) {
    const refused = await post(url, body);
    assert.equal(refused.status, 400, `${body}: ${refused.text}`);
    assert.equal(refused.json.error.code, 'bad_request');
  }
});

test('an image signature followed by junk is 415, a header too large to decode is 422', async () => {
  const [image] = searches(worker.url);
  const junk = [
    Buffer.concat([PNG_SIGNATURE, Buffer.from('<!doctype html><html><body>hi</body></html>')]),
    Buffer.concat([PNG_SIGNATURE, Buffer.alloc(64)]),
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('<html>junk</html>')]),
    Buffer.concat([Buffer.from('RIFF\x20\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(24)]),
  ];
  for (const bytes of junk) {
    const refused = await post(image, new Uint8Array(bytes));
    assert.equal(refused.status, 415, `${bytes.subarray(0, 12).toString('hex')}: ${refused.text}`);
    assert.equal(refused.json.error.code, 'unsupported_media_type');
  }
  // 6324 × 6324 at 16 bits RGBA: under 40 MP, but about 560 MiB to decode.
  const deep = await post(image, png(6324, 6324, { depth: 16, colour: 6 }));
  assert.equal(deep.status, 422, deep.text);
  assert.equal(deep.json.error.code, 'image_too_large');
  assert.match(deep.json.error.message, /decodes at most 24 MiB/);
});

test('an image at the decode budget is searched within the Worker\'s 128 MB', async () => {
  const [image] = searches(worker.url);
  const side = 1536; // 8-bit RGB: 10 bytes a pixel to decode, 22.5 MiB in all
  const from = worker.log().length;
  const found = await post(`${image}?k=3`, png(side, side, { fill: 0x80 }));
  assert.equal(found.status, 200, found.text);
  const line = workerLines(worker, from).find((l) => l.startsWith('POST /v1/search/image 200'));
  const mib = Number(/ (\d+) MiB$/.exec(line)[1]);
  console.log(`wasm memory after decoding a ${side}×${side} image with the corpus loaded: ${mib} MiB`);
  assert.ok(mib < 128, `${mib} MiB`);
});

test('the worker answers a declared body over the limit from the headers alone', async () => {
  const host = `Host: 127.0.0.1\r\n`;
  for (const [path, length] of [
    ['/v1/search/image', 5 << 20],
    ['/v1/read', 2 ** 30],
    ['/v1/search/text', '9223372036854775808'],
  ]) {
    const { line, ms } = await headersOnly(worker, `POST ${path} HTTP/1.1\r\n${host}Content-Length: ${length}\r\n\r\n`, path);
    assert.match(line, new RegExp(`^POST ${path} 413 `), line);
    console.log(`${path} with ${length} bytes declared and none sent: the worker answered 413 after ${ms} ms`);
  }
  // With Expect: 100-continue the host answers "100 Continue"; the worker still refuses the
  // declared size without the body.
  const expect = await headersOnly(worker, `POST /v1/search/image HTTP/1.1\r\n${host}Content-Length: ${5 << 20}\r\nExpect: 100-continue\r\n\r\n`, '/v1/search/image');
  assert.match(expect.line, /^POST \/v1\/search\/image 413 /);
  // A body sent without a declared length (chunked) is not read past the limit.
  const chunks = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 8; i += 1) controller.enqueue(new Uint8Array(8 << 10).fill(0x20));
      controller.close();
    },
  });
  const from = worker.log().length;
  let status;
  try {
    const chunked = await fetch(`${worker.url}/v1/search/text`, { method: 'POST', body: chunks, duplex: 'half' });
    status = chunked.status;
    await chunked.text();
  } catch (error) {
    // The worker may answer and close while the client is still sending (EPIPE under load);
    // then its own log says what it answered.
    const line = await workerAnswer(worker, from, '/v1/search/text', 5000);
    assert.ok(line, `the chunked upload failed (${error.cause?.code ?? error.message}) and the worker logged no answer`);
    status = Number(line.split(' ')[2]);
  }
  assert.equal(status, 413);
});

test('a rate-limited client is refused from the headers alone too', async () => {
  const limited = await startWorker({ rateLimit: 1 });
  try {
    assert.equal((await post(`${limited.url}/v1/search/text`, { query: 'Country 3' })).status, 200);
    const { line } = await headersOnly(limited, `POST /v1/search/image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${1 << 20}\r\n\r\n`, '/v1/search/image');
    assert.match(line, /^POST \/v1\/search\/image 429 /, line);
  } finally {
    await limited.stop();
  }
});

test('a shared trace is stored once as its canonical bytes and never changes', async () => {
  const url = `${worker.url}/v1/traces`;
  const first = await post(url, TRACE, { method: 'PUT' });
  assert.equal(first.status, 201, first.text);
  const { id } = first.json;
  const served = async () => {
    const response = await fetch(`${worker.url}/v1/traces/${id}`);
    assert.equal(response.status, 200);
    return Buffer.from(await response.arrayBuffer());
  };
  const original = await served();
  assert.equal(original.toString(), TRACE, 'the canonical bytes are stored');
  const trace = JSON.parse(TRACE);
  // The same trace as other bytes: accepted as the same id, stored bytes unchanged.
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(trace).reverse()));
  for (const again of [TRACE, JSON.stringify(trace, null, 2), reordered]) {
    const response = await post(url, again, { method: 'PUT' });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.json.id, id);
  }
  // Fields the schema lacks, at the top or nested, or an array where an object belongs.
  const variants = [
    { ...trace, note: 'an extra field' },
    { ...trace, settings: { ...trace.settings, extra: true } },
    { ...trace, outcome: { ...trace.outcome, kind: 'answered', answer: trace.outcome.answer, why: 'extra' } },
    { ...trace, sampling: Object.values(trace.sampling) },
  ];
  for (const variant of variants) {
    const refused = await post(url, JSON.stringify(variant), { method: 'PUT' });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.json.error.code, 'invalid_trace');
  }
  assert.ok((await served()).equals(original), 'the bytes served under the id never changed');
});
