'use strict';
// Test double of the search providers: one HTTP server on 127.0.0.1 that answers each
// provider's path with its recorded response (tests/fixtures/providers), and injects the faults
// a test queues: status codes with Retry-After, hangs, malformed JSON and bodies that stall.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'providers');
const ROUTES = [
  [/^\/search\.json\?engine=google_lens/, 'serpapi_lens.json'],
  [/^\/search\.json\?engine=google&/, 'serpapi_google.json'],
  [/^\/search$/, 'serper_search.json'],
  [/^\/res\/v1\/web\/search/, 'brave_web.json'],
  [/^\/v1\/images:annotate$/, 'google_vision_web.json'],
  [/^\/https?:\/\//, 'jina_reader.json'],
];

/** Resolves to {origin, requests, fault(...faults), close()}. */
function startUpstream() {
  const requests = [];
  const faults = [];
  const sockets = new Set();
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const record = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(record);
    const route = ROUTES.find(([pattern]) => pattern.test(req.url));
    if (!route) {
      res.writeHead(404).end('{"error":"no such provider path"}');
      return;
    }
    if (route[1] === 'serpapi_lens.json') {
      // Google fetches the crop from the URL it was given, as SerpApi's servers would.
      const imageUrl = new URL(req.url, 'http://upstream').searchParams.get('url');
      const image = await fetch(imageUrl);
      record.fetchedImage = { status: image.status, type: image.headers.get('content-type'), bytes: Buffer.from(await image.arrayBuffer()) };
    }
    const fault = faults.shift();
    if (fault?.hang) return; // never answers; the worker's timeout must fire
    if (fault?.status) {
      const headers = fault.retryAfter ? { 'retry-after': String(fault.retryAfter) } : {};
      res.writeHead(fault.status, headers).end('{"error":"injected failure, key=should-never-be-echoed"}');
      return;
    }
    if (fault?.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"organic_results": [');
      return;
    }
    const body = fs.readFileSync(path.join(FIXTURES, route[1]));
    if (fault?.stallBody) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body.subarray(0, 10)); // then nothing: the body never ends
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({
        origin,
        requests,
        fault: (...queued) => faults.push(...queued),
        clear: () => { requests.length = 0; faults.length = 0; },
        close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); }),
      });
    });
  });
}

module.exports = { startUpstream };
