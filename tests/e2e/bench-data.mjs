// The Norman-scale double benchmark's tables, generated: a 19,264 genes × 225 conditions pseudobulk (control,
// 100 singles, 124 doubles; ≈ 40 MB of CSV) and two model CSVs of the doubles. The page's benchmark
// (bench.mjs) and R's (scripts/bench-r-double.sh) read the same files.
// Usage: node tests/e2e/bench-data.mjs DIR    (writes DIR/pseudobulk.csv, DIR/model_a.csv, DIR/model_b.csv)
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

function table(genes, conditions, value) {
  const lines = ["gene," + conditions.join(",")];
  for (let g = 0; g < genes; g++) lines.push(`G${g},` + conditions.map((_, c) => value(g, c).toFixed(6)).join(","));
  return lines.join("\n") + "\n";
}

/** Writes the three tables into `dir`; returns their paths (data first). */
export async function writeBenchTables(dir) {
  let state = 12345;
  const random = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
  const singles = Array.from({ length: 100 }, (_, i) => `G${i}+ctrl`);
  const doubles = Array.from({ length: 124 }, (_, i) => `G${i % 100}+G${(i % 100 + 1 + 17 * Math.floor(i / 100)) % 100}`);
  const conditions = ["ctrl", ...singles, ...doubles];
  const base = Array.from({ length: 19264 }, () => random() * 3);
  await mkdir(dir, { recursive: true });
  const files = [join(dir, "pseudobulk.csv"), join(dir, "model_a.csv"), join(dir, "model_b.csv")];
  await writeFile(files[0], table(19264, conditions, (g) => base[g] + random() * 0.2));
  await writeFile(files[1], table(19264, doubles, (g) => base[g] + random() * 0.3));
  await writeFile(files[2], table(19264, doubles, (g) => base[g] + random() * 0.4));
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) throw new Error("usage: node tests/e2e/bench-data.mjs DIR");
  console.log((await writeBenchTables(process.argv[2])).join("\n"));
}
