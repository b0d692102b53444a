import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseXtl, probeMediaInfo, planTimeline, runFfmpeg, resolveSources } from './index.js';
const input = process.argv[2]!;
const lengthS = Number(process.argv[3] ?? 10.52);
const longS = 1800;
const hns = (s: number) => String(Math.round(s * 1e7));
const cuts = Array.from({ length: 10 }, (_, i) => { const from = 1.32 + (i * (longS - lengthS - 4)) / 10; return [from, from + lengthS]; });
const xml = `<timelines version="2"><timeline><group><track>${cuts.map(([a, b]) => `<clip src="s" start="${hns(a!)}" stop="${hns(b!)}" timeFormat="100ns_units"/>`).join('')}</track></group></timeline></timelines>`;
const doc = parseXtl(xml);
const probe = await probeMediaInfo(input);
const sources = await resolveSources(doc, async () => ({ input, probe }));
const workDir = '/tmp/sx/prof'; await fs.rm(workDir, { recursive: true, force: true }); await fs.mkdir(workDir, { recursive: true });
let t = performance.now();
const [plan] = await planTimeline(doc, sources, { workDir });
console.log('plan', ((performance.now() - t) / 1000).toFixed(2), plan!.reason);
for (const step of plan!.steps) {
  t = performance.now();
  if (step.kind === 'write-file') { await fs.writeFile(step.path, step.contents); continue; }
  await runFfmpeg({ args: step.args });
  console.log(((performance.now() - t) / 1000).toFixed(2), step.description);
}
