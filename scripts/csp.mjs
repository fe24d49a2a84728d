// Trunk post-build hook: adds a Content-Security-Policy to index.html that allows the app's own scripts
// (and the inline loader Trunk writes, by its SHA-256), wasm compilation, and no connection to any other
// origin. Run by Trunk with TRUNK_STAGING_DIR set; also usable as `node scripts/csp.mjs DIR`.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? "dist";
const file = join(dir, "index.html");
let html = await readFile(file, "utf8");
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/g, "");
const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
  ([, body]) => `'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`,
);
const policy = [
  "default-src 'self'",
  "connect-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(" ")}`.trim(),
  "worker-src 'self'",
  "manifest-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");
html = html.replace(/<meta charset="utf-8"\s*\/?>/, (charset) => `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
await writeFile(file, html);
console.log(`csp: ${hashes.length} inline script(s) hashed into ${file}`);
