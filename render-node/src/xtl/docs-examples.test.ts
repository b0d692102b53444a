import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseXtl } from './parse-xtl.js';

/** Every XML example in docs/xtl.md parses: the format's documentation cannot drift from the parser. */
const doc = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/xtl.md'), 'utf8');
const examples = [...doc.matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

function wrap(example: string): string {
  if (example.startsWith('<timelines')) return example;
  if (example.startsWith('<group')) return `<timelines version="2"><timeline>${example}</timeline></timelines>`;
  if (example.startsWith('<track')) return `<timelines version="2"><timeline><group>${example}</group></timeline></timelines>`;
  return `<timelines version="2"><timeline><group><track>${example}</track></group></timeline></timelines>`;
}

describe('docs/xtl.md', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(9);
  });
  it.each(examples.map((e, i) => [i + 1, e]))('example %i parses', (_n, example) => {
    expect(() => parseXtl(wrap(example as string))).not.toThrow();
  });
});
