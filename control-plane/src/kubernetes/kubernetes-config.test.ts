import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { RELEASE } from '../version.js';

describe('the Kubernetes settings', () => {
  it('default to the local dispatcher, no embedded operator and render nodes of this release', () => {
    const config = loadConfig({});
    expect(config.dispatcher).toBe('local');
    const k = config.kubernetes;
    expect(k).toMatchObject({
      namespace: 'default',
      operator: 'off',
      operatorPort: 8081,
      leaseName: 'cutroom-operator',
      leaseDurationMs: 15_000,
      inCluster: false,
    });
    expect(k.job.image).toBe(`ghcr.io/cutroom/render-node:${RELEASE.major}.${RELEASE.minor}`);
    expect(k.job.gpuImage).toBe(`ghcr.io/cutroom/render-node:${RELEASE.major}.${RELEASE.minor}-nvidia`);
    expect(k.job.gpuNodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(k.job.gpuTolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(k.job.nodeSelector).toEqual({});
    expect(k.operatorIdentity).not.toBe(loadConfig({}).kubernetes.operatorIdentity);
  });

  it('reads selectors, tolerations, quantities and lists', () => {
    const k = loadConfig({
      DISPATCHER: 'kubernetes',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      RENDER_NODE_NODE_SELECTOR: 'pool=render, kubernetes.io/arch=amd64',
      RENDER_NODE_GPU_TOLERATIONS: 'nvidia.com/gpu:NoSchedule,dedicated=video:NoExecute',
      RENDER_NODE_CPU_LIMIT: '3500m',
      RENDER_NODE_MEMORY_LIMIT: '7.5Gi',
      RENDER_NODE_IMAGE_PULL_SECRETS: 'ghcr, quay',
    }).kubernetes;
    expect(k.inCluster).toBe(true);
    expect(k.job.nodeSelector).toEqual({ pool: 'render', 'kubernetes.io/arch': 'amd64' });
    expect(k.job.gpuTolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'video', effect: 'NoExecute' },
    ]);
    expect(k.job.limits).toEqual({ cpu: '3500m', memory: '7.5Gi' });
    expect(k.job.imagePullSecrets).toEqual(['ghcr', 'quay']);
    // Empty means unset (the default); `none` clears a list.
    expect(loadConfig({ RENDER_NODE_GPU_TOLERATIONS: '' }).kubernetes.job.gpuTolerations).toHaveLength(1);
    const cleared = loadConfig({ RENDER_NODE_GPU_NODE_SELECTOR: 'none', RENDER_NODE_GPU_TOLERATIONS: 'none' }).kubernetes.job;
    expect([cleared.gpuNodeSelector, cleared.gpuTolerations]).toEqual([{}, []]);
  });

  it.each([
    [{ DISPATCHER: 'nomad' }, /DISPATCHER accepts one of local, kubernetes/],
    [{ OPERATOR: 'yes' }, /OPERATOR accepts one of off, embedded/],
    [{ KUBERNETES_NAMESPACE: 'Prod_1' }, /KUBERNETES_NAMESPACE accepts a namespace name/],
    [{ RENDER_NODE_CPU_LIMIT: '4 cores' }, /RENDER_NODE_CPU_LIMIT accepts a Kubernetes quantity/],
    [{ RENDER_NODE_NODE_SELECTOR: 'pool' }, /RENDER_NODE_NODE_SELECTOR accepts comma-separated key=value labels/],
    [{ RENDER_NODE_GPU_TOLERATIONS: 'nvidia.com/gpu' }, /RENDER_NODE_GPU_TOLERATIONS accepts comma-separated key\[=value\]:NoSchedule/],
    [{ RENDER_NODE_IMAGE_PULL_POLICY: 'Sometimes' }, /RENDER_NODE_IMAGE_PULL_POLICY accepts one of Always, IfNotPresent, Never/],
    [{ OPERATOR_LEASE_DURATION_SECONDS: '0' }, /OPERATOR_LEASE_DURATION_SECONDS accepts an integer from 1/],
  ])('fails fast on %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('lets the operator run in production without a database', () => {
    expect(() => loadConfig({ PROFILE: 'production' })).toThrow(/DATABASE_URL/);
    expect(loadConfig({ PROFILE: 'production' }, '/srv', { needsDatabase: false }).databaseUrl).toBeUndefined();
  });
});
