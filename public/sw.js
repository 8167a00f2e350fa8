// GoG's service worker: after one visit the app shell loads with the network off. The model
// package and the offline corpus are cached by the model's worker itself (Cache Storage, keyed
// by content hash); this caches the page, its wasm and scripts. Network first, so a new build is
// picked up at once; the cached copy when the network is down.
'use strict';

const SHELL_CACHE = 'gog-shell-v1';
const SHELL = [
  './',
  './index.html',
  './gog-app.js',
  './gog-app_bg.wasm',
  './gog-worker_loader.js',
  './gog-worker.js',
  './gog-worker_bg.wasm',
  './style.css',
  './favicon.svg',
  './manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Only this origin's GETs; the proxy and everything else go straight to the network. The
  // model's worker keeps models and the corpus in its own caches.
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const shellKey = request.mode === 'navigate' ? './' : request;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && SHELL.some((path) => new URL(path, self.location).href === url.href.split('#')[0].split('?')[0])) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request.mode === 'navigate' ? './' : request, copy));
        }
        return response;
      })
      .catch(() => caches.match(shellKey, { ignoreSearch: true })
        .then((cached) => cached || Response.error())),
  );
});
