import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { parse } from 'yaml';
import { REFERENCE_FILE, valuesReference } from '../../scripts/values-reference.js';

describe('the chart values reference', () => {
  it('is current: docs/chart-values.md is what scripts/values-reference.ts writes', () => {
    expect(fs.readFileSync(REFERENCE_FILE, 'utf8')).toBe(valuesReference());
  });

  it('documents every setting of values.yaml', () => {
    const reference = valuesReference();
    const missing: string[] = [];
    const walk = (node: unknown, keys: string[]) => {
      const documented = keys.length > 0 && reference.includes(`| \`${keys.join('.')}\` |`);
      if (documented) {
        const row = reference.split('\n').find((line) => line.startsWith(`| \`${keys.join('.')}\` |`))!;
        if (!/\| [^|]*\S[^|]* \|$/.test(row)) missing.push(`${keys.join('.')} (no meaning)`);
        return;
      }
      if (node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length) {
        for (const [key, child] of Object.entries(node)) walk(child, [...keys, key]);
      } else if (keys.length) missing.push(keys.join('.'));
    };
    walk(parse(fs.readFileSync('charts/cutroom/values.yaml', 'utf8')), []);
    expect(missing).toEqual([]);
  });
});
