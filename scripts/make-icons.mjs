// Makes the app's icons (public/icons/icon-192.png, icon-512.png): a blue tile with three white bars, the
// first two the height of the "additive" bar and the third lower — a leaderboard. Run once:
//   node scripts/make-icons.mjs       (the PNGs are committed; nothing else needs this script)
import { deflateSync } from "node:zlib";
import { writeFileSync } from "node:fs";

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function icon(size) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const bars = [[0.22, 0.34, 0.30], [0.42, 0.54, 0.48], [0.62, 0.74, 0.66]]; // [x0, x1, top] as fractions
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [u, v] = [x / size, y / size];
      const bar = bars.find(([x0, x1, top]) => u >= x0 && u < x1 && v >= top && v < 0.78);
      const rgba = bar ? [255, 255, 255, 255] : [0, 96, 168, 255];
      raw.set(rgba, y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

for (const size of [192, 512]) writeFileSync(new URL(`../public/icons/icon-${size}.png`, import.meta.url), icon(size));
