// GoG's service worker: after one visit the app shell loads with the network off. The model
// package and the offline corpus are cached by the model's worker itself (Cache Storage, keyed
// by content hash); this caches the page, its wasm and scripts, and the gallery of demo scenes.
// Network first, so a new build is picked up at once; the cached copy when the network is down.
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
  // The shipped package's manifest, which the model picker describes; the model's worker keeps
  // the package itself.
  './models/tiny-qwen3-vl-q8/manifest.json',
];

// The gallery's listing; the scene images it names are cached with it.
const GALLERY = './gallery/gallery.json';

async function install() {
  const cache = await caches.open(SHELL_CACHE);
  await cache.addAll(SHELL);
  const listing = await fetch(GALLERY);
  // A build with no gallery has no listing, and the app shows none.
  if (listing.ok) {
    const { scenes } = await listing.clone().json();
    await cache.put(GALLERY, listing);
    await cache.addAll(scenes.map((scene) => scene.image));
  }
}

// Whether `url` is something this worker keeps: a shell file or anything of the gallery.
function kept(url) {
  const plain = url.href.split('#')[0].split('?')[0];
  return SHELL.some((path) => new URL(path, self.location).href === plain)
    || plain.startsWith(new URL('./gallery/', self.location).href);
}

self.addEventListener('install', (event) => {
  event.waitUntil(install().then(() => self.skipWaiting()));
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
        if (response.ok && kept(url)) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request.mode === 'navigate' ? './' : request, copy));
        }
        return response;
      })
      .catch(() => caches.match(shellKey, { ignoreSearch: true })
        .then((cached) => cached || Response.error())),
  );
});
