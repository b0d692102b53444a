import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * Checks of the chart's templates as text, before rendering (render-chart.ts renders them): every
 * `.Values.x.y` a template reads exists in values.yaml, `.Values` is not read where `with`/`range`
 * have moved the dot, blocks close.
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
