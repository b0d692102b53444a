// Writes crds/*.yaml and the chart's copies from control-plane/src/kubernetes/task-crd.ts.
// Run: npm run generate:crds
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderCrdFiles } from './crd-files.js';

const root = path.resolve(import.meta.dirname, '..');
for (const dir of ['crds', 'charts/cutroom/crds']) {
  await fs.mkdir(path.join(root, dir), { recursive: true });
  for (const { fileName, text } of renderCrdFiles()) {
    await fs.writeFile(path.join(root, dir, fileName), text);
    process.stdout.write(`wrote ${dir}/${fileName}\n`);
  }
}
