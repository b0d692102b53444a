import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow, BenchSize, Benchmark } from './support/types.js';

/**
 * Runs every `bench/*.bench.ts` (or those named on the command line) and prints one table.
 * BENCH_SIZE=smoke runs each at a tiny size so `make test` keeps them working.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const size: BenchSize = process.env.BENCH_SIZE === 'smoke' ? 'smoke' : 'full';
const only = process.argv.slice(2);

const files = (await fs.readdir(here))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.includes(name)))
  .sort();

const rows: BenchRow[] = [];
let failed = false;
for (const file of files) {
  const log = (line: string) => process.stderr.write(`[${file}] ${line}\n`);
  log(`running (${size})`);
  try {
    const bench = (await import(pathToFileURL(path.join(here, file)).href)).default as Benchmark;
    rows.push(...(await bench({ size, log })));
  } catch (error) {
    failed = true;
    log(`FAILED: ${(error as Error).stack ?? String(error)}`);
  }
}

const format = (v: number) => (Number.isInteger(v) ? String(v) : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3));
const table = [['benchmark', 'metric', 'value', 'unit', 'note'], ...rows.map((r) => [r.benchmark, r.metric, format(r.value), r.unit, r.note ?? ''])];
const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
for (const [i, row] of table.entries()) {
  console.log(
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
if (size === 'smoke') console.log('\n(smoke size: these figures only show the benchmarks run; use `make bench`)');
process.exit(failed ? 1 : 0);
