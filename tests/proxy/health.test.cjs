'use strict';
// The proxy shell in the real Workers runtime: health, CORS and typed errors.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startWorker } = require('./worker.cjs');

const APP = 'http://127.0.0.1:5173';
let worker;

before(async () => {
  worker = await startWorker({ vars: { ALLOWED_ORIGINS: `${APP},https://gog.example` } });
});
after(async () => { await worker?.stop(); });

test('GET /v1/health reports status, version, mode and backends', async () => {
  const response = await fetch(`${worker.url}/v1/health`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^application\/json/);
  const body = await response.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.service, 'gog-proxy');
  assert.match(body.version, /^\d+\.\d+\.\d+/);
  assert.equal(body.mode, 'offline');
  assert.deepEqual(body.backends, ['offline']);
});

test('an allowed origin gets CORS headers', async () => {
  const response = await fetch(`${worker.url}/v1/health`, { headers: { Origin: APP } });
  assert.equal(response.headers.get('access-control-allow-origin'), APP);
  assert.match(response.headers.get('vary'), /Origin/);
});

test('another origin gets no CORS headers', async () => {
  const response = await fetch(`${worker.url}/v1/health`, { headers: { Origin: 'http://evil.example' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), null);
});

test('a preflight from an allowed origin succeeds', async () => {
  const response = await fetch(`${worker.url}/v1/health`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://gog.example', 'Access-Control-Request-Method': 'GET' },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('access-control-allow-origin'), 'https://gog.example');
  assert.equal(response.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS');
});

test('a preflight from another origin is refused with a typed error', async () => {
  const response = await fetch(`${worker.url}/v1/health`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' },
  });
  assert.equal(response.status, 403);
  assert.equal((await response.json()).error.code, 'origin_not_allowed');
});

test('unknown routes and wrong methods are typed JSON errors', async () => {
  const missing = await fetch(`${worker.url}/v1/nothing`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found');

  const wrong = await fetch(`${worker.url}/v1/health`, { method: 'POST', body: '{}' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
  assert.equal((await wrong.json()).error.code, 'method_not_allowed');
});

test('a misconfigured proxy says which setting is wrong', async () => {
  const broken = await startWorker({ vars: { SEARCH_MODE: 'carrier-pigeon' } });
  try {
    const response = await fetch(`${broken.url}/v1/health`);
    assert.equal(response.status, 500);
    const body = await response.json();
    assert.equal(body.error.code, 'misconfigured');
    assert.match(body.error.message, /SEARCH_MODE.*carrier-pigeon/);
  } finally {
    await broken.stop();
  }
});
