import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * Renders the chart as `helm template` would, with the Go renderer beside this file (Go's
 * text/template, sprig and Helm's own functions; see renderer/main.go), built once per version of
 * its source. No Helm binary is packaged for these machines: what differs from Helm is written
 * in docs/operations.md ("What the chart tests prove").
 */

const RENDERER_SOURCE = path.resolve('test/k8s/chart/renderer/main.go');
export const CHART_DIR = path.resolve('charts/cutroom');

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  /** The template it came from, e.g. control-plane-deployment.yaml. */
  __source: string;
  [field: string]: any;
}

export interface RenderOptions {
  name?: string;
  namespace?: string;
  /** Value sets laid over values.yaml in order, as `-f` files. */
  values?: object[];
  /** API versions the cluster serves beyond the built-in ones (.Capabilities.APIVersions). */
  apiVersions?: string[];
}

function rendererBinary(): string {
  const source = fs.readFileSync(RENDERER_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = path.resolve('node_modules/.cache/cutroom-chart-render', hash);
  const binary = path.join(dir, 'chart-render');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('go', ['build', '-o', `${binary}.tmp`, RENDERER_SOURCE], {
      env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: path.join(dir, 'go-cache'), GOFLAGS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(`building the chart renderer failed (scripts/ensure-test-deps.sh installs Go and sprig): ${stderr}`, { cause: error });
  }
  fs.renameSync(`${binary}.tmp`, binary);
  return binary;
}

/** The rendered text, or the renderer's error (a `fail`, a `required`, a template fault). */
export function renderChartText(options: RenderOptions = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutroom-chart-'));
  try {
    const files = (options.values ?? []).map((values, i) => {
      const file = path.join(dir, `values-${i}.yaml`);
      fs.writeFileSync(file, stringify(values));
      return file;
    });
    const args = ['-chart', CHART_DIR, '-name', options.name ?? 'cutroom', '-namespace', options.namespace ?? 'cutroom'];
    for (const file of files) args.push('-f', file);
    if (options.apiVersions?.length) args.push('-api-versions', options.apiVersions.join(','));
    try {
      return execFileSync(rendererBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr;
      throw new Error(stderr?.trim() || String(error), { cause: error });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The rendered objects. Parsed strictly, as kustomize and Flux do: a key twice in one mapping
 * (a duplicated label) is an error, and so is any YAML fault.
 */
export function renderChart(options: RenderOptions = {}): RenderedObject[] {
  const text = renderChartText(options);
  const objects: RenderedObject[] = [];
  // Each template's output follows its `# Source:` line; a template may hold several documents.
  const parts = text.split(/^---\n# Source: [^/\n]+\/templates\/(.+)\n/m);
  for (let i = 1; i < parts.length; i += 2) {
    const source = parts[i]!;
    for (const doc of parseAllDocuments(parts[i + 1]!.replace(/^# Notes:[\s\S]*$/m, ''), { uniqueKeys: true })) {
      if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS();
      if (object === null || object === undefined) continue;
      objects.push({ ...object, __source: source });
    }
  }
  return objects;
}
