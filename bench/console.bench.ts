import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchRow } from './support/types.js';
import { startControlPlaneProcess } from './support/control-plane.js';
import { chromiumAvailable, launchChromium } from '../test/support/browser.js';

/**
 * The web console's weight and speed: for each page (the editor at `/`, the operations view, the
 * API docs) the bytes it loads (raw, gzip, brotli) from the build in console/dist, and in
 * Chromium the time to interactive (the page's own `cutroom-interactive` mark: the editor's
 * session bound, the ops view drawn, the API reference rendered), cold (empty cache) and warm
 * (a reload), as the median of several loads from the built control plane in its own process.
 */

const DIST = fileURLToPath(new URL('../console/dist/', import.meta.url));
const PAGES = [
  { name: 'editor', route: '/', file: 'index.html' },
  { name: 'ops', route: '/console/ops', file: 'ops.html' },
  { name: 'docs', route: '/api/docs', file: 'docs.html' },
];

/** The page and every asset it loads, following imports between chunks. */
async function pageFiles(htmlFile: string): Promise<string[]> {
  const files = new Set<string>([htmlFile]);
  const queue = [htmlFile];
  while (queue.length > 0) {
    const text = await fs.readFile(path.join(DIST, queue.pop()!), 'utf8');
    for (const match of text.matchAll(/["'(/](?:\.\/|\/)?(assets\/[\w.-]+\.(?:js|css))/g)) {
      const file = match[1]!;
      if (!files.has(file)) {
        files.add(file);
        queue.push(file);
      }
    }
  }
  return [...files];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const bench: Benchmark = async ({ size, log }) => {
  const rows: BenchRow[] = [];
  for (const page of PAGES) {
    const files = await pageFiles(page.file);
    const bytes = await Promise.all(files.map((f) => fs.readFile(path.join(DIST, f))));
    const sum = (f: (b: Buffer) => number) => bytes.reduce((n, b) => n + f(b), 0);
    rows.push(
      { benchmark: 'console', metric: `${page.name} page weight`, value: sum((b) => b.length) / 1024, unit: 'KiB', note: `${files.length} files, raw` },
      { benchmark: 'console', metric: `${page.name} page weight gzip`, value: sum((b) => gzipSync(b).length) / 1024, unit: 'KiB' },
      { benchmark: 'console', metric: `${page.name} page weight brotli`, value: sum((b) => brotliCompressSync(b).length) / 1024, unit: 'KiB' },
    );
  }
  if (!chromiumAvailable) {
    log('no Chromium: time to interactive not measured');
    return rows;
  }
  const loads = size === 'smoke' ? 1 : 7;
  const server = await startControlPlaneProcess({ ADMIN_TOKEN: 'bench-admin-token' });
  const browser = await launchChromium();
  try {
    for (const page of PAGES) {
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < loads; i++) {
        const context = await browser.newContext();
        const tab = await context.newPage();
        const interactive = async () => {
          await tab.waitForFunction(() => performance.getEntriesByName('cutroom-interactive').length > 0, undefined, { timeout: 30_000 });
          return tab.evaluate(() => performance.getEntriesByName('cutroom-interactive')[0]!.startTime);
        };
        await tab.goto(`${server.url}${page.route}`);
        cold.push(await interactive());
        await tab.reload();
        warm.push(await interactive());
        await context.close();
      }
      log(`${page.name}: cold ${cold.map((v) => v.toFixed(0)).join(', ')} ms; warm ${warm.map((v) => v.toFixed(0)).join(', ')} ms`);
      rows.push(
        { benchmark: 'console', metric: `${page.name} time to interactive, cold`, value: median(cold), unit: 'ms', note: `median of ${loads}, loopback` },
        {
          benchmark: 'console',
          metric: `${page.name} time to interactive, warm`,
          value: median(warm),
          unit: 'ms',
          note: 'reload: hashed assets from the cache',
        },
      );
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return rows;
};

export default bench;
