import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * The chart's values reference (docs/chart-values.md), written from values.schema.json (types,
 * allowed values, descriptions) and values.yaml (defaults): one row per setting.
 * `node --import tsx scripts/values-reference.ts` rewrites it; a test checks it is current.
 */

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
};

const CHART = path.resolve('charts/cutroom');
export const REFERENCE_FILE = path.resolve('docs/chart-values.md');

function resolve(schema: Schema, root: Schema & { definitions?: Record<string, Schema> }): Schema {
  if (!schema.$ref) return schema;
  const target = root.definitions?.[schema.$ref.replace('#/definitions/', '')] ?? {};
  return { ...resolve(target, root), ...schema, $ref: undefined, description: schema.description ?? target.description };
}

function typeOf(schema: Schema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  if (type === 'array' && schema.items?.type) return `array of ${schema.items.type}`;
  return type;
}

function defaultOf(values: unknown, keys: string[]): string {
  let node = values;
  for (const key of keys) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  if (node === undefined) return '';
  const text = JSON.stringify(node);
  return text.length > 80 ? '(see values.yaml)' : `\`${text.replace(/\|/g, '\\|')}\``;
}

export function valuesReference(): string {
  const root = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));
  const values = parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
  const rows: string[] = [];
  const walk = (schema: Schema, keys: string[]) => {
    const resolved = resolve(schema, root);
    const children = resolved.properties;
    // Objects with their own settings are walked; maps, free-form objects and resources are one row.
    if (children && Object.keys(children).length && keys.at(-1) !== 'resources') {
      if (resolved.description && keys.length) rows.push(`| \`${keys.join('.')}\` | object | | ${resolved.description.replace(/\|/g, '\\|')} |`);
      for (const [key, child] of Object.entries(children)) walk(child, [...keys, key]);
      return;
    }
    rows.push(`| \`${keys.join('.')}\` | ${typeOf(resolved)} | ${defaultOf(values, keys)} | ${(resolved.description ?? '').replace(/\|/g, '\\|')} |`);
  };
  walk(root, []);
  return [
    '# Chart values',
    '',
    '<!-- Written by scripts/values-reference.ts from charts/cutroom/values.schema.json and values.yaml; do not edit. -->',
    '',
    'Every setting of the Helm chart (`charts/cutroom`), its type, its default and what it does.',
    '`values.schema.json` checks them on `helm install` and `helm upgrade`.',
    '',
    '| value | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  fs.writeFileSync(REFERENCE_FILE, valuesReference());
  console.log(`wrote ${path.relative(process.cwd(), REFERENCE_FILE)}`);
}
