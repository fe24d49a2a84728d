// Trunk post-build hook: writes sw.js, the service worker that makes the page work offline. It precaches
// every file of the build (the page, both wasm binaries and their JS, the worker loader, the stylesheet, the
// manifest and icons, every demo's files) in a cache named after the hash of their contents, so each build
// gets its own cache and the old one is dropped when the new worker activates. Navigations go to the network
// first (a reload online gets the new build) and fall back to the cached page whatever the query string;
// everything else is answered from the cache first. Run by Trunk with TRUNK_STAGING_DIR set; also usable as
// `node scripts/offline.mjs DIR`.
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? "dist";

async function files(folder) {
  const out = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out;
}

const paths = (await files(dir)).map((path) => relative(dir, path).split(sep).join("/")).filter((path) => path !== "sw.js").sort();
const hash = createHash("sha256");
for (const path of paths) hash.update(path).update(await readFile(join(dir, path)));
const version = hash.digest("hex").slice(0, 16);
const assets = ["./", ...paths.filter((path) => path !== "index.html")];

const worker = `// Perturb Check's service worker (written by scripts/offline.mjs at build time; do not edit).
const CACHE = "perturb-check-${version}";
const ASSETS = ${JSON.stringify(assets)};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("perturb-check-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

/** The cached page, whatever the query string of the navigation. */
async function cachedPage(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request, { ignoreSearch: true })) ?? (await cache.match("./", { ignoreSearch: true }));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request)
        .then((response) => (response.ok ? response : cachedPage(request).then((cached) => cached ?? response)))
        .catch(() => cachedPage(request).then((cached) => cached ?? Response.error())),
    );
    return;
  }
  event.respondWith(
    caches.open(CACHE)
      .then((cache) => cache.match(request, { ignoreSearch: true }))
      .then((cached) => cached ?? fetch(request)),
  );
});
`;
await writeFile(join(dir, "sw.js"), worker);
console.log(`offline: sw.js precaches ${assets.length} files as perturb-check-${version}`);
