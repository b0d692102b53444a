import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { lintChart, lintTemplate, renderChartSkeleton } from './chart/template-lint.js';

/** The chart and the YAML files, checked as far as they can be without Helm or a cluster. */

const chart = path.resolve('charts/cutroom');
const values = parse(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'));
const schema = JSON.parse(fs.readFileSync(path.join(chart, 'values.schema.json'), 'utf8'));

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', '.git', 'dist', 'templates'].includes(entry.name) ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

const renderedSkeleton = () => renderChartSkeleton(chart);

describe('the Helm chart and YAML files', () => {
  it('has YAML files that all parse', () => {
    const files = yamlFiles(path.resolve('.'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const errors = parseAllDocuments(fs.readFileSync(file, 'utf8')).flatMap((d) => d.errors.map((e) => e.message));
      expect(errors, file).toEqual([]);
    }
  });

  it('reads only values that values.yaml defines, and never .Values where the dot has moved', () => {
    expect(lintChart(chart)).toEqual([]);
  });

  it('catches a missing value, a moved dot and an unclosed block (the checker can fail)', () => {
    const bad = [
      'a: {{ .Values.image.tagg }}',
      '{{- with .Values.controlPlane.nodeSelector }}',
      'b: {{ .Values.image.tag }}',
      'c: {{ $.Values.image.tag }}',
      '{{- end }}',
      '{{- if .Values.ingress.enabled }}',
    ].join('\n');
    expect(lintTemplate('bad.yaml', bad, values).map((i) => `${i.line}: ${i.message}`)).toEqual([
      '1: values.yaml has no image.tagg',
      '3: .Values.image.tag is read where with/range moved the dot: write $.Values',
      '6: if block is never closed',
    ]);
  });

  it('renders, as a skeleton, to YAML documents of the expected kinds', () => {
    const docs = renderedSkeleton();
    for (const doc of docs) {
      expect(doc.apiVersion, doc.__file).toBeTruthy();
      expect(doc.kind, doc.__file).toBeTruthy();
    }
    const kinds = docs.map((d) => d.kind).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy',
        'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'Secret', 'Service', 'Service', 'Service',
        'Service', 'ServiceAccount', 'ServiceAccount', 'ServiceAccount', 'ServiceMonitor', 'StatefulSet', 'StatefulSet',
      ].sort(),
    );
  });

  it('probes the control plane on /healthz and /readyz and runs every container as non-root on a read-only root', () => {
    const docs = renderedSkeleton();
    const controlPlane = docs.find((d) => d.__file === 'control-plane-deployment.yaml')!;
    const container = controlPlane.spec.template.spec.containers[0];
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.startupProbe.httpGet.path).toBe('/healthz');
    const operator = docs.find((d) => d.__file === 'operator-deployment.yaml')!;
    expect(operator.spec.template.spec.containers[0].args).toEqual(['operator']);
    // The operator gets configuration only: no Secret in its environment.
    expect(JSON.stringify(operator.spec.template.spec.containers[0].envFrom)).not.toContain('secretRef');
  });

  it('accepts the default values with values.schema.json and refuses dangerous ones', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    const withChange = (change: (v: any) => void) => {
      const copy = structuredClone(values);
      change(copy);
      return validate(copy);
    };
    expect(withChange((v) => (v.ingress.paths = ['/api', '/internal']))).toBe(false);
    expect(withChange((v) => (v.ingress.paths = ['/']))).toBe(false);
    expect(withChange((v) => (v.ingress.paths = ['/metrics']))).toBe(false);
    expect(withChange((v) => (v.operator.mode = 'sidecar'))).toBe(false);
    expect(withChange((v) => (v.renderNode.scratchSize = 'lots'))).toBe(false);
    expect(withChange((v) => (v.controlPlane.replica = 3))).toBe(false);
    expect(withChange((v) => (v.database.url = 'mysql://db'))).toBe(false);
    expect(withChange((v) => (v.renderNode.gpu.tolerations = [{ key: 'nvidia.com/gpu', effect: 'NoSchedule', value: 'x' }]))).toBe(true);
  });

  it('mounts the audio library volume read-only where AUDIOLIB_FILES_DIR points, and needs a source for it', () => {
    const docs = renderedSkeleton();
    const pod = docs.find((d) => d.__file === 'control-plane-deployment.yaml')!.spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'audiolib');
    expect(mount).toMatchObject({ mountPath: '/audiolib', readOnly: true });
    const volume = pod.volumes.find((v: any) => v.name === 'audiolib');
    expect(volume.persistentVolumeClaim.readOnly).toBe(true);
    const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
    expect(configMap.data.AUDIOLIB_FILES_DIR).toBe(mount.mountPath);
    expect(configMap.data.AUDIOLIB_JSON_LIST).toBeDefined();

    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const withLibrary = (library: Record<string, unknown>) => validate({ ...structuredClone(values), audioLibrary: { ...values.audioLibrary, ...library } });
    expect(withLibrary({ enabled: true })).toBe(false);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library' })).toBe(true);
    expect(withLibrary({ enabled: true, volume: { nfs: { server: 'nas', path: '/audio' } } })).toBe(true);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library', subPath: '../etc' })).toBe(false);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library', listFile: '../audioLib.json' })).toBe(false);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library', subPath: 'library/v1.2' })).toBe(true);
  });

  it('sets only variables the Cutroom config reads and the README documents', () => {
    const configSource = fs.readFileSync('control-plane/src/config.ts', 'utf8');
    const read = new Set([...configSource.matchAll(/read\.\w+(?:<[^>]+>)?\(\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]));
    // For the bundled stores' own containers, not for Cutroom.
    const bundled = new Set(['POSTGRES_PASSWORD', 'MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD']);
    const docs = renderedSkeleton();
    const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
    const secret = docs.find((d) => d.kind === 'Secret')!;
    const keys = [...Object.keys(configMap.data), ...Object.keys(secret.data)].filter((k) => k !== 'tpl-value');
    const unknown = keys.filter((k) => !read.has(k) && !bundled.has(k));
    expect(unknown).toEqual([]);
    const readme = fs.readFileSync('README.md', 'utf8');
    const undocumented = keys.filter((k) => read.has(k) && !readme.includes(`| \`${k}\``));
    expect(undocumented).toEqual([]);
  });
});
