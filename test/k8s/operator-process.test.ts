import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { resourceNameForTask, type TaskResource } from '../../control-plane/src/kubernetes/task-resource.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startHarness, type Harness } from './operator-harness.js';

/**
 * The operator as it is deployed: `node control-plane/dist/main.js operator` (its own process,
 * no database, PROFILE=production), and inside the control plane with OPERATOR=embedded.
 */

const namespace = 'default';
const group = 'cutroom.io';
const version = 'v1alpha1';

describe('the operator process', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness?.close());

  const submit = async (taskId: string) => {
    const name = resourceNameForTask(taskId);
    await harness.clients('test').customObjects.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: 'rendertasks',
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'RenderTask',
        metadata: { name },
        spec: { taskId, kind: 'render', attempt: 1, internalUrl: harness.controlPlane.url, tokenSecretRef: { name, key: 'token' } },
      },
    });
    await harness.clients('test').core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { token: 't' } } });
  };
  const succeeded = (taskId: string) =>
    vi.waitFor(
      async () => {
        const resource = (await harness
          .clients('test')
          .customObjects.getNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: resourceNameForTask(taskId) })) as TaskResource;
        expect(resource.status?.phase).toBe('Succeeded');
      },
      { timeout: 20_000, interval: 25 },
    );
  const leaseHolder = async (name: string) => (await harness.clients('test').coordination.readNamespacedLease({ namespace, name })).spec?.holderIdentity;

  it('runs as `cutroom operator` without a database, serves probes and metrics, and hands its Lease back on SIGTERM', async () => {
    const child: ChildProcess = spawn(process.execPath, [path.resolve('control-plane/dist/main.js'), 'operator'], {
      env: {
        PATH: process.env.PATH,
        PROFILE: 'production',
        KUBECONFIG: harness.cluster.writeKubeconfig('operator-cli'),
        KUBERNETES_NAMESPACE: namespace,
        OPERATOR_PORT: '0',
        HOST: '127.0.0.1',
        OPERATOR_IDENTITY: 'operator-cli',
        OPERATOR_LEASE_NAME: 'cli-lease',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (chunk) => stderr.push(String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg: string; url?: string };
        if (entry.msg === 'operator health and metrics listening') resolve(entry.url!);
      });
      child.once('exit', () => reject(new Error(`operator exited: ${stderr.join('')}`)));
    });

    await submit('cli-1');
    await succeeded('cli-1');
    const jobCreators = harness.cluster.api.audit.filter((r) => r.resource === 'jobs' && r.verb === 'create').map((r) => r.user);
    expect(jobCreators).toEqual(['operator-cli']);
    expect(await leaseHolder('cli-lease')).toBe('operator-cli');

    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', leader: true });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/cutroom_operator_reconcile_duration_seconds_count\{kind="RenderTask",result="success"\} [1-9]/);
    expect(metrics).toContain('cutroom_operator_queue_depth 0');
    expect(metrics).toContain('cutroom_operator_reconcile_errors_total');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await leaseHolder('cli-lease')).toBeUndefined();
  });

  it('runs inside the control plane with OPERATOR=embedded', async () => {
    let server: TestServer | undefined;
    try {
      server = await startTestServer('postgres', {
        OPERATOR: 'embedded',
        KUBECONFIG: harness.cluster.writeKubeconfig('embedded-operator'),
        KUBERNETES_NAMESPACE: namespace,
        OPERATOR_LEASE_NAME: 'embedded-lease',
        OPERATOR_LEASE_DURATION_SECONDS: '2',
        OPERATOR_IDENTITY: 'embedded-operator',
      });
      await submit('embedded-1');
      await succeeded('embedded-1');
      expect(server.controlPlane.operator?.isLeader).toBe(true);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('cutroom_operator_jobs_created_total{kind="RenderTask"} 1');
    } finally {
      await server?.destroy();
    }
    expect(await leaseHolder('embedded-lease')).toBeUndefined();
  });
});
