import { createRequire } from 'node:module';
import path from 'node:path';

/** The render-node program of this build (the workspace package's compiled main). */
export function renderNodeMainPath(): string {
  const entry = createRequire(import.meta.url).resolve('@cutroom/render-node');
  return path.join(path.dirname(entry), 'main.js');
}
