import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { lintChart, lintTemplate } from './chart/template-lint.js';
import { renderChart, renderChartText, type RenderedObject } from './chart/render-chart.js';
import { validateObject } from './chart/validate-objects.js';
import { loadConfig } from '../../control-plane/src/config.js';
import { asSubchart, bundled, gpuPool, longReleaseName, production } from './chart/value-sets.js';

/**
 * The Helm chart, rendered for real (Go templates with sprig and Helm's functions, see
 * chart/render-chart.ts) with the value sets platform teams install it with, every object checked
 * against the Kubernetes API schemas.
 */

const chart = path.resolve('charts/cutroom');
const values = parse(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'));
const schema = JSON.parse(fs.readFileSync(path.join(chart, 'values.schema.json'), 'utf8'));
const validateValues = new Ajv({ allErrors: true, strict: false }).compile(schema);

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', '.git', 'dist', 'templates'].includes(entry.name) ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

/** Values as Helm hands them to the schema: the sets laid over values.yaml, maps merged. */
function merged(...sets: object[]): unknown {
  const merge = (base: any, over: any): any => {
    if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
    const out = { ...base };
    for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
    return out;
  };
  return sets.reduce(merge, values);
}

const find = (objects: RenderedObject[], kind: string, nameSuffix: string) => objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix))!;
const podSpec = (o: RenderedObject) => o.spec.template.spec;
const configOf = (objects: RenderedObject[]) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-config'))!.data;

const valueSets: Array<[string, { name?: string; values: object[]; apiVersions?: string[] }]> = [
  ['defaults', { values: [{ database: { url: 'postgres://db/cutroom' } }] }],
  ['production with an external database and S3', { values: [production] }],
  ['a GPU pool', { values: [gpuPool] }],
  ['a long release name', { name: longReleaseName, values: [bundled] }],
  ['bundled stores, for trying out', { values: [bundled] }],
  ['the operator inside the control plane', { values: [{ operator: { mode: 'embedded' } }] }],
  ['a subchart of an umbrella chart', { values: [asSubchart] }],
  ['OpenShift', { values: [{}], apiVersions: ['security.openshift.io/v1'] }],
];

describe('the Helm chart', () => {
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

  describe.each(valueSets)('rendered with %s', (_name, options) => {
    it('passes values.schema.json, renders, and every object is valid for the Kubernetes API', async () => {
      expect(validateValues(merged(...options.values)), JSON.stringify(validateValues.errors)).toBe(true);
      // Parsed with duplicate keys refused, as kustomize and Flux do.
      const objects = renderChart(options);
      expect(objects.length).toBeGreaterThan(10);
      const problems = (await Promise.all(objects.map(validateObject))).flat();
      expect(problems).toEqual([]);
    });

    it('renders the same every time, so GitOps tools see no drift', () => {
      expect(renderChartText(options)).toBe(renderChartText(options));
    });
  });

  it('the validator refuses what the API server would (the checks can fail)', async () => {
    const [deployment] = renderChart({ values: [{}] }).filter((o) => o.kind === 'Deployment');
    const broken = structuredClone(deployment!);
    podSpec(broken).containers[0].image = 42;
    broken.metadata.name = 'x'.repeat(64);
    broken.spec.template.metadata.labels['app.kubernetes.io/component'] = 'other';
    const problems = await validateObject(broken);
    expect(problems.join('\n')).toMatch(/image must be string/);
    expect(problems.join('\n')).toMatch(/name x{64} \(64 characters\) is not valid/);
    expect(problems.join('\n')).toMatch(/selector app.kubernetes.io\/component=control-plane does not match its pod template/);
    expect(() => renderChart({ values: [{ ingress: { enabled: true, paths: ['/internal'] } }] })).toThrow(/ingress.paths must not expose/);
  });

  it('keeps every name within 63 characters and distinct for the longest release names', () => {
    const objects = renderChart({ name: longReleaseName, values: [bundled] });
    const other = renderChart({ name: `${longReleaseName.slice(0, -2)}zz`, values: [bundled] });
    for (const o of objects) expect(o.metadata.name.length, o.metadata.name).toBeLessThanOrEqual(63);
    const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    expect(other.some((o) => names.has(`${o.kind}/${o.metadata.name}`))).toBe(false);
    expect(renderChart({ values: [{ fullnameOverride: 'video' }] }).map((o) => o.metadata.name)).toContain('video-control-plane');
    expect(renderChart({ values: [{ nameOverride: 'editor' }] }).map((o) => o.metadata.name)).toContain('cutroom-editor-control-plane');
  });

  it('generates no signing secret, and keeps a configured one', () => {
    const secret = renderChart({ values: [{}] }).find((o) => o.kind === 'Secret')!;
    expect(Object.keys(secret.data)).not.toContain('SIGNING_SECRET');
    const configured = renderChart({ values: [{ secrets: { signingSecret: 'a-configured-signing-secret' } }] }).find((o) => o.kind === 'Secret')!;
    expect(Buffer.from(configured.data.SIGNING_SECRET, 'base64').toString()).toBe('a-configured-signing-secret');
  });

  it('gives pods the platform knobs: service-account annotations, labels, priority, spread, volumes, proxy, digests', () => {
    const objects = renderChart({ values: [production] });
    const deployment = find(objects, 'Deployment', '-control-plane');
    const spec = podSpec(deployment);
    expect(spec.priorityClassName).toBe('business-critical');
    expect(deployment.spec.template.metadata.labels).toMatchObject({ team: 'video', 'app.kubernetes.io/component': 'control-plane' });
    expect(deployment.spec.template.metadata.annotations).toMatchObject({ 'example.com/owner': 'video' });
    expect(spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.labelSelector.matchLabels['app.kubernetes.io/component']])).toEqual([
      ['kubernetes.io/hostname', 'control-plane'],
      ['topology.kubernetes.io/zone', 'control-plane'],
    ]);
    expect(spec.volumes.map((v: any) => v.name)).toContain('db-ca');
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'db-ca', mountPath: '/etc/db-ca', readOnly: true });
    expect(spec.containers[0].image).toBe(`registry.example.com/video/cutroom/control-plane:1.0.3@sha256:${'a'.repeat(64)}`);
    const env = Object.fromEntries(spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ HTTPS_PROXY: 'http://proxy.example.com:3128', https_proxy: 'http://proxy.example.com:3128', NODE_USE_ENV_PROXY: '1' });
    expect(env.NO_PROXY).toContain('.svc');
    const serviceAccount = find(objects, 'ServiceAccount', '-control-plane');
    expect(serviceAccount.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/cutroom' });
    // Render-node pods get the proxy and their pool's placement through the operator's configuration.
    const cpuPod = JSON.parse(configOf(objects).RENDER_NODE_CPU_POD);
    expect(cpuPod.priorityClassName).toBe('batch');
    expect(cpuPod.tolerations).toEqual([{ key: 'pool', operator: 'Equal', value: 'render', effect: 'NoSchedule' }]);
    expect(cpuPod.env.map((e: any) => e.name)).toContain('HTTPS_PROXY');
  });

  it('passes GPU-pool placement to the operator apart from the CPU pool', () => {
    const config = configOf(renderChart({ values: [gpuPool] }));
    const gpu = JSON.parse(config.RENDER_NODE_GPU_POD);
    expect(gpu.runtimeClassName).toBe('nvidia');
    expect(gpu.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key).toBe(
      'nvidia.com/gpu.product',
    );
    expect(JSON.parse(config.RENDER_NODE_CPU_POD)).toEqual({ annotations: {}, env: [], labels: {}, volumeMounts: [], volumes: [] });
  });

  it('sends GPU tasks only to GPUs with NVENC encoders, by their product label', () => {
    const gpu = JSON.parse(configOf(renderChart({ values: [{}] })).RENDER_NODE_GPU_POD);
    const [expression] = gpu.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(expression).toMatchObject({ key: 'nvidia.com/gpu.product', operator: 'In' });
    expect(expression.values).toEqual(expect.arrayContaining(['Tesla-T4', 'NVIDIA-L4', 'NVIDIA-A10G', 'NVIDIA-L40S']));
    for (const computeOnly of ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-PCIE-40GB', 'NVIDIA-H100-80GB-HBM3', 'NVIDIA-H200', 'NVIDIA-A30'])
      expect(expression.values).not.toContain(computeOnly);
    expect(JSON.parse(configOf(renderChart({ values: [{ renderNode: { gpu: { nvencProducts: [] } } }] })).RENDER_NODE_GPU_POD).affinity).toBeUndefined();
    expect(JSON.parse(configOf(renderChart({ values: [{ renderNode: { cpu: {} } }] })).RENDER_NODE_CPU_POD).affinity).toBeUndefined();
  });

  it('leaves UIDs to OpenShift where it runs, and sets them elsewhere', () => {
    const openshift = renderChart({ values: [{}], apiVersions: ['security.openshift.io/v1'] });
    expect(podSpec(find(openshift, 'Deployment', '-control-plane')).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(configOf(openshift).RENDER_NODE_UID).toBe('none');
    const plain = renderChart({ values: [{}] });
    expect(podSpec(find(plain, 'Deployment', '-control-plane')).securityContext.runAsUser).toBe(10001);
    expect(configOf(plain).RENDER_NODE_UID).toBeUndefined();
  });

  it('upgrades cleanly: migrations in a pre-upgrade Job, a drain before stopping, pods rolled by config changes, drains never blocked', () => {
    const objects = renderChart({ values: [production] });
    const job = find(objects, 'Job', '-migrate');
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    const migrate = podSpec(job).containers[0];
    const deployment = find(objects, 'Deployment', '-control-plane');
    const server = podSpec(deployment).containers[0];
    expect(migrate.args).toEqual(['migrate']);
    expect(migrate.image).toBe(server.image);
    expect(migrate.envFrom).toEqual(server.envFrom);
    expect(server.lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    expect(podSpec(deployment).terminationGracePeriodSeconds).toBeGreaterThan(10 + 10);
    expect(find(objects, 'PodDisruptionBudget', '-control-plane').spec).toMatchObject({ maxUnavailable: 1 });
    expect(
      find(renderChart({ values: [{ controlPlane: { podDisruptionBudget: { minAvailable: 2 } } }] }), 'PodDisruptionBudget', '-control-plane').spec
        .minAvailable,
    ).toBe(2);
    expect(renderChart({ values: [{ migrations: { job: { enabled: false } } }] }).some((o) => o.kind === 'Job')).toBe(false);
    const checksum = (v: object) => find(renderChart({ values: [v] }), 'Deployment', '-control-plane').spec.template.metadata.annotations;
    expect(checksum({ config: { logLevel: 'debug' } })['checksum/config']).not.toBe(checksum({})['checksum/config']);
    expect(checksum({ secrets: { adminToken: 'new' } })['checksum/secret']).not.toBe(checksum({})['checksum/secret']);
  });

  it('admits every namespace to the control plane by default, and only the configured sources when narrowed', () => {
    const policy = (v: object) => find(renderChart({ values: [v] }), 'NetworkPolicy', '-control-plane').spec.ingress[0].from;
    expect(policy({})[0]).toEqual({ namespaceSelector: {} });
    const narrowed = policy(production);
    expect(narrowed[0]).toEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } });
    expect(narrowed).toHaveLength(2); // and render nodes
  });

  it('routes /api/voiceovers through an Ingress that keeps one editor token on one replica', () => {
    const objects = renderChart({ values: [{ ingress: { enabled: true } }] });
    const voiceovers = find(objects, 'Ingress', '-voiceovers');
    expect(voiceovers.spec.rules[0].http.paths.map((p: any) => p.path)).toEqual(['/api/voiceovers']);
    expect(voiceovers.metadata.annotations).toMatchObject({ 'nginx.ingress.kubernetes.io/upstream-hash-by': '$http_authorization' });
  });

  it('opens the voiceover UDP range only for direct media, and keeps TURN credentials in the Secret', () => {
    const objects = renderChart({ values: [{ voiceover: { directMedia: true, portRange: '40000-40199', iceServers: 'turn:u:p@turn.example.com:3478' } }] });
    const udp = find(objects, 'NetworkPolicy', '-control-plane').spec.ingress.find((rule: any) => rule.ports?.[0]?.protocol === 'UDP');
    expect(udp.ports[0]).toMatchObject({ port: 40000, endPort: 40199 });
    const secret = objects.find((o) => o.kind === 'Secret')!;
    expect(Buffer.from(secret.data.VOICEOVER_ICE_SERVERS, 'base64').toString()).toBe('turn:u:p@turn.example.com:3478');
    expect(configOf(objects).VOICEOVER_ICE_SERVERS).toBeUndefined();
    const closed = find(renderChart({ values: [{}] }), 'NetworkPolicy', '-control-plane').spec.ingress;
    expect(closed.some((rule: any) => rule.ports?.some((p: any) => p.protocol === 'UDP'))).toBe(false);
  });

  it('probes the control plane on /healthz and /readyz and runs every container as non-root on a read-only root', () => {
    const objects = renderChart({ values: [bundled] });
    const controlPlane = find(objects, 'Deployment', '-control-plane');
    const container = podSpec(controlPlane).containers[0];
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.startupProbe.httpGet.path).toBe('/healthz');
    const operator = find(objects, 'Deployment', '-operator');
    expect(podSpec(operator).containers[0].args).toEqual(['operator']);
    // The operator gets configuration only: no Secret in its environment.
    expect(JSON.stringify(podSpec(operator).containers[0].envFrom)).not.toContain('secretRef');
    for (const o of objects.filter((x) => x.spec?.template?.spec)) {
      expect(podSpec(o).securityContext.runAsNonRoot, o.metadata.name).toBe(true);
      for (const c of podSpec(o).containers) expect(c.securityContext.allowPrivilegeEscalation, `${o.metadata.name} ${c.name}`).toBe(false);
    }
  });

  it('accepts the default values with values.schema.json and refuses dangerous ones', () => {
    expect(validateValues(values), JSON.stringify(validateValues.errors)).toBe(true);
    const withChange = (change: (v: any) => void) => {
      const copy = structuredClone(values);
      change(copy);
      return validateValues(copy);
    };
    expect(withChange((v) => (v.ingress.paths = ['/api', '/internal']))).toBe(false);
    expect(withChange((v) => (v.ingress.paths = ['/']))).toBe(false);
    expect(withChange((v) => (v.ingress.paths = ['/metrics']))).toBe(false);
    expect(withChange((v) => (v.operator.mode = 'sidecar'))).toBe(false);
    expect(withChange((v) => (v.renderNode.scratchSize = 'lots'))).toBe(false);
    expect(withChange((v) => (v.controlPlane.replica = 3))).toBe(false);
    expect(withChange((v) => (v.database.url = 'mysql://db'))).toBe(false);
    expect(withChange((v) => (v.image.digest.renderNode = 'latest'))).toBe(false);
    expect(withChange((v) => (v.global = { imageRegistry: 'x' }))).toBe(true);
    expect(withChange((v) => (v.renderNode.gpu.tolerations = [{ key: 'nvidia.com/gpu', effect: 'NoSchedule', value: 'x' }]))).toBe(true);
    expect(withChange((v) => (v.voiceover.portRange = '40000'))).toBe(false);
    expect(withChange((v) => (v.voiceover.iceServers = 'http://turn.example.com'))).toBe(false);
    expect(withChange((v) => (v.voiceover.iceServers = 'turn:u:p@turn.example.com:3478?transport=udp, stun:stun.example.com'))).toBe(true);
    expect(withChange((v) => (v.voiceover.portRange = '40000-40199'))).toBe(true);
  });

  it('mounts the audio library volume read-only where AUDIOLIB_FILES_DIR points, and needs a source for it', () => {
    const docs = renderChart({ values: [{ audioLibrary: { enabled: true, existingClaim: 'audio-library' } }] });
    const pod = podSpec(find(docs, 'Deployment', '-control-plane'));
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'audiolib');
    expect(mount).toMatchObject({ mountPath: '/audiolib', readOnly: true });
    const volume = pod.volumes.find((v: any) => v.name === 'audiolib');
    expect(volume.persistentVolumeClaim.readOnly).toBe(true);
    expect(configOf(docs).AUDIOLIB_FILES_DIR).toBe(mount.mountPath);
    expect(configOf(docs).AUDIOLIB_JSON_LIST).toBeDefined();
    expect(() => renderChart({ values: [{ audioLibrary: { enabled: true } }] })).toThrow(
      /audioLibrary.enabled needs audioLibrary.existingClaim or audioLibrary.volume/,
    );

    const withLibrary = (library: Record<string, unknown>) =>
      validateValues({ ...structuredClone(values), audioLibrary: { ...values.audioLibrary, ...library } });
    expect(withLibrary({ enabled: true })).toBe(false);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library' })).toBe(true);
    expect(withLibrary({ enabled: true, volume: { nfs: { server: 'nas', path: '/audio' } } })).toBe(true);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library', subPath: '../etc' })).toBe(false);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library', listFile: '../audioLib.json' })).toBe(false);
    expect(withLibrary({ enabled: true, existingClaim: 'audio-library', subPath: 'library/v1.2' })).toBe(true);
  });

  it('passes the project-import limits to the control plane in the form its config reads', () => {
    const limits = { maxBytes: '5gb', maxEntries: 200, maxRatio: 50, timeoutSeconds: 600 };
    const config = configOf(renderChart({ values: [{ projectImport: limits }] }));
    const imports = loadConfig(
      { ...config, DATABASE_URL: 'postgres://db/cutroom', SIGNING_SECRET: 'a-configured-signing-secret-of-length' },
      '/tmp',
      {},
    ).projectImports;
    expect(imports).toEqual({ maxBytes: 5 * 2 ** 30, maxEntries: 200, maxRatio: 50, timeoutS: 600 });
    const withLimits = (changed: Record<string, unknown>) =>
      validateValues({ ...structuredClone(values), projectImport: { ...values.projectImport, ...changed } });
    expect(withLimits({ maxBytes: '20GiB' })).toBe(true);
    expect(withLimits({ maxBytes: 'lots' })).toBe(false);
    expect(withLimits({ maxRatio: 1 })).toBe(false);
  });

  it('sets only variables the Cutroom config reads and the README documents', () => {
    const configSource = fs.readFileSync('control-plane/src/config.ts', 'utf8');
    const read = new Set([...configSource.matchAll(/read\.\w+(?:<[^>]+>)?\(\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]));
    // For the bundled stores' own containers, not for Cutroom.
    const bundledOnly = new Set(['POSTGRES_PASSWORD', 'MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD']);
    const objects = renderChart({
      values: [
        bundled,
        { secrets: { signingSecret: 'a-configured-signing-secret', adminToken: 'admin' }, audioLibrary: { enabled: true, existingClaim: 'audio-library' } },
      ],
      apiVersions: ['security.openshift.io/v1'],
    });
    const secret = objects.find((o) => o.kind === 'Secret')!;
    const keys = [...Object.keys(configOf(objects)), ...Object.keys(secret.data)];
    const unknown = keys.filter((k) => !read.has(k) && !bundledOnly.has(k));
    expect(unknown).toEqual([]);
    const readme = fs.readFileSync('README.md', 'utf8');
    const undocumented = keys.filter((k) => read.has(k) && !readme.includes(`| \`${k}\``));
    expect(undocumented).toEqual([]);
  });
});
