// The app shell for gate phones that lose the network: pages come from the network when it
// answers and from this cache when it does not; hashed assets (never changed once built) from
// the cache first. The API is never cached: offline checks use the gate's own bundle.
const kCache = 'juwei-shell-v1'

self.addEventListener('install', () => self.skipWaiting())

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== kCache) await caches.delete(name)
    }
    await self.clients.claim()
  })())
})

async function assetFirst(request) {
  const cache = await caches.open(kCache)
  const hit = await cache.match(request)
  if (hit) return hit
  const answer = await fetch(request)
  if (answer.ok) await cache.put(request, answer.clone())
  return answer
}

async function pageFromNetwork(request) {
  const cache = await caches.open(kCache)
  try {
    const answer = await fetch(request)
    if (answer.ok) await cache.put('/index.html', answer.clone())
    return answer
  } catch (e) {
    const shell = await cache.match('/index.html')
    if (shell) return shell
    throw e
  }
}

// The page names what it loaded before this worker took over, to keep for offline reloads.
self.addEventListener('message', (event) => {
  const urls = (event.data?.keep || []).filter((u) => new URL(u, self.location.origin).origin === self.location.origin)
  event.waitUntil(caches.open(kCache).then((cache) => cache.addAll(urls)).catch(() => {}))
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return
  if (url.pathname.startsWith('/assets/')) event.respondWith(assetFirst(request))
  else if (request.mode === 'navigate') event.respondWith(pageFromNetwork(request))
})
