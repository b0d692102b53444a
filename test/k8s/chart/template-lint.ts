import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * What can be checked of a Helm chart without Helm: every `.Values.x.y` a template reads exists
 * in values.yaml, `.Values` is not read where `with`/`range` have moved the dot, blocks close;
 * and a "skeleton" rendering (control lines dropped, value references resolved from
 * values.yaml, other actions replaced by placeholders) that must parse as YAML.
 */

export interface TemplateIssue {
  file: string;
  line: number;
  message: string;
}

interface Action {
  body: string;
  line: number;
  start: number;
  end: number;
}

const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
const VALUES_REF = /(\$?)\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;

function actions(text: string): Action[] {
  const found: Action[] = [];
  for (const match of text.matchAll(ACTION)) {
    const body = match[1]!;
    if (body.startsWith('/*')) continue;
    found.push({ body, line: text.slice(0, match.index).split('\n').length, start: match.index!, end: match.index! + match[0].length });
  }
  return found;
}

export function lookupValue(values: unknown, keys: string[]): { found: boolean; value?: unknown } {
  let node = values;
  for (const key of keys) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return { found: false };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}

export function lintTemplate(file: string, text: string, values: unknown): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const stack: Array<{ keyword: string; line: number }> = [];
  for (const action of actions(text)) {
    const keyword = /^(if|else|range|with|define|block|end)\b/.exec(action.body)?.[1];
    if (keyword === 'end') {
      if (!stack.pop()) issues.push({ file, line: action.line, message: 'end without an open block' });
      continue;
    }
    // The with/range condition itself is evaluated before the dot moves: checked before the push.
    const dotMoved = stack.some((b) => b.keyword === 'with' || b.keyword === 'range');
    for (const ref of action.body.matchAll(VALUES_REF)) {
      const keys = ref[2]!.slice(1).split('.');
      if (!ref[1] && dotMoved) {
        issues.push({ file, line: action.line, message: `.Values.${keys.join('.')} is read where with/range moved the dot: write $.Values` });
      }
      if (!lookupValue(values, keys).found) issues.push({ file, line: action.line, message: `values.yaml has no ${keys.join('.')}` });
    }
    if (keyword && keyword !== 'else') stack.push({ keyword, line: action.line });
  }
  for (const open of stack) issues.push({ file, line: open.line, message: `${open.keyword} block is never closed` });
  return issues;
}

export function lintChart(chartDir: string): TemplateIssue[] {
  const values = parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
  const dir = path.join(chartDir, 'templates');
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap((name) => lintTemplate(`templates/${name}`, fs.readFileSync(path.join(dir, name), 'utf8'), values));
}

/** One value reference (`.Values.a.b`, optionally `| quote`) as the text Helm would put there. */
function resolveInline(body: string, values: unknown): string | undefined {
  const match = /^\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)(\s*\|\s*quote)?$/.exec(body.trim());
  if (!match) return undefined;
  const { found, value } = lookupValue(values, match[1]!.slice(1).split('.'));
  if (!found || (typeof value === 'object' && value !== null)) return undefined;
  return match[2] ? JSON.stringify(String(value)) : String(value);
}

/**
 * The template with control lines removed and every other action replaced, so the YAML
 * structure can be parsed. Both branches of an `if` stay (parse with uniqueKeys off).
 */
export function skeleton(text: string, values: unknown): string {
  const withoutComments = text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '');
  const lines: string[] = [];
  for (const line of withoutComments.split('\n')) {
    const trimmed = line.trim();
    const found = actions(line);
    const onlyActions = found.length > 0 && line.replace(ACTION, '').trim() === '';
    if (onlyActions) {
      const indent = /\|\s*n?indent\s+(\d+)/.exec(trimmed);
      if (indent) {
        // A block goes where its siblings are: items of a list, or keys of a mapping.
        const column = Number(indent[1]);
        const sibling = [...lines].reverse().find((l) => l.trim() !== '' && l.length - l.trimStart().length <= column);
        const inList = sibling !== undefined && sibling.length - sibling.trimStart().length === column && sibling.trimStart().startsWith('- ');
        lines.push(`${' '.repeat(column)}${inList ? '- tpl-placeholder' : 'tpl-placeholder: from-template'}`);
      }
      continue;
    }
    if (trimmed.startsWith('#')) {
      lines.push(line);
      continue;
    }
    lines.push(line.replace(ACTION, (_whole, body: string) => resolveInline(body, values) ?? 'tpl-value'));
  }
  return lines.join('\n');
}

/** Every document of the chart's templates, skeleton-rendered with the default values. */
export function renderChartSkeleton(chartDir: string): Array<Record<string, any>> {
  const values = parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
  const dir = path.join(chartDir, 'templates');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(skeleton(fs.readFileSync(path.join(dir, file), 'utf8'), values), { uniqueKeys: false })
        .map((doc) => {
          if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
          return doc.toJS() as Record<string, any> | null;
        })
        .filter((doc): doc is Record<string, any> => doc !== null)
        .map((doc) => ({ ...doc, __file: file })),
    );
}
