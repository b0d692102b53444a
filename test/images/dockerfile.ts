import fs from 'node:fs';

/** A Dockerfile read into its global ARGs and stages, enough to check it without an engine. */

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

export function readDockerfile(file: string): Dockerfile {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (!pending) start = i + 1;
    pending += `${line.replace(/\\$/, '')} `;
    if (line.endsWith('\\')) return;
    const match = /^(\w+)\s+(.*)$/.exec(pending.trim())!;
    instructions.push({ op: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start });
    pending = '';
  });
  const dockerfile: Dockerfile = { args: {}, stages: [] };
  for (const instruction of instructions) {
    if (instruction.op === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)!;
      dockerfile.stages.push({ from: from!, name, instructions: [] });
    } else if (dockerfile.stages.length === 0 && instruction.op === 'ARG') {
      const [name, value = ''] = instruction.args.split('=');
      dockerfile.args[name!] = value.replace(/\$\{(\w+)\}/g, (_, arg: string) => dockerfile.args[arg] ?? '');
    } else {
      dockerfile.stages.at(-1)!.instructions.push(instruction);
    }
  }
  return dockerfile;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const paths = parts.filter((p) => !p.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
    });
}

/** The last value an instruction of `op` has in a stage, following `FROM <stage>` chains. */
export function lastOf(dockerfile: Dockerfile, stage: Stage, op: string): string | undefined {
  const own = stage.instructions.filter((i) => i.op === op).at(-1)?.args;
  if (own !== undefined) return own;
  const parent = dockerfile.stages.find((s) => s.name === stage.from);
  return parent ? lastOf(dockerfile, parent, op) : undefined;
}

/** Whether .dockerignore keeps `file` out of the build context (its simple patterns). */
export function ignored(patterns: string[], file: string): boolean {
  // As Docker reads .dockerignore: the last pattern that matches decides, and `!` re-includes.
  let result = false;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const pattern = negated ? line.slice(1) : line;
    const regex = new RegExp(
      `^${pattern
        .replace(/^\//, '')
        .replace(/[.+^$()|[\]{}]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
    if (regex.test(file)) result = !negated;
  }
  return result;
}
