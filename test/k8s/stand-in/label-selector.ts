import { badRequest } from './errors.js';

/**
 * Label selectors in their string form (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), as list and
 * watch take them in `labelSelector`.
 */
type Requirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | 'doesnotexist' };

export type LabelSelector = (labels: Record<string, string> | undefined) => boolean;

export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  if (!text || !text.trim()) return () => true;
  const requirements = splitTopLevel(text).map(parseRequirement);
  return (labels = {}) =>
    requirements.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case 'doesnotexist':
          return !has;
        case 'in':
          return has && r.values.includes(labels[r.key]!);
        case 'notin':
          return !has || !r.values.includes(labels[r.key]!);
      }
    });
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

function parseRequirement(part: string): Requirement {
  let match = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part);
  if (match) {
    const [, key, op, value] = match;
    return { key: key!, op: op === '!=' ? 'notin' : 'in', values: [value!] };
  }
  match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
  if (match) {
    const values = match[3]!
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    return { key: match[1]!, op: match[2] as 'in' | 'notin', values };
  }
  match = /^(!?)([\w./-]+)$/.exec(part);
  if (match) return { key: match[2]!, op: match[1] ? 'doesnotexist' : 'exists' };
  throw badRequest(`unable to parse requirement: ${part}`);
}

/** Field selectors: the few fields the API server supports for every type. */
export function parseFieldSelector(text: string | null | undefined): (object: { metadata: { name?: string; namespace?: string } }) => boolean {
  if (!text || !text.trim()) return () => true;
  const tests = text.split(',').map((part) => {
    const match = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(part.trim());
    if (!match) throw badRequest(`field label not supported: ${part}`);
    const [, field, op, value] = match;
    return (object: { metadata: { name?: string; namespace?: string } }) => {
      const actual = field === 'metadata.name' ? object.metadata.name : object.metadata.namespace;
      return op === '!=' ? actual !== value : actual === value;
    };
  });
  return (object) => tests.every((t) => t(object));
}
