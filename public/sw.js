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
  './models/gog-tiny-q8/manifest.json',
];

// The gallery's listing; the scene images it names are cached with it.
const GALLERY = './gallery/gallery.json';

async function install() {
  const cache = await caches.open(SHELL_CACHE);
  await cache.addAll(SHELL);
  // The gallery is a nicety: a build or host without one still gets an offline shell.
  try {
    const listing = await fetch(GALLERY);
    if (listing.ok) {
      const { scenes } = await listing.clone().json();
      await cache.put(GALLERY, listing);
      await cache.addAll(scenes.map((scene) => scene.image));
    }
  } catch (error) {
    console.warn('GoG: the gallery is not kept for offline use:', error);
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
  // Only this origin's pages and kept files; the proxy, the model packages and the corpus go
  // straight to the network (the model's worker keeps those in caches of its own, and resumes
  // them with range requests that must reach the server).
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode !== 'navigate' && !kept(url)) return;
  const shellKey = request.mode === 'navigate' ? './' : request;
  event.respondWith(
    fetch(request)
      .then((response) => {
        // A navigation is kept as the shell only when it is a page.
        const page = (response.headers.get('content-type') || '').startsWith('text/html');
        if (response.ok && (request.mode !== 'navigate' || page)) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request.mode === 'navigate' ? './' : request, copy));
        }
        return response;
      })
      .catch(() => caches.open(SHELL_CACHE)
        .then((cache) => cache.match(shellKey, { ignoreSearch: true }))
        .then((cached) => cached || Response.error())),
  );
});
