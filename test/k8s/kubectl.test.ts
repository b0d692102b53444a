import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startStandInCluster, type StandInCluster } from './stand-in/cluster.js';

/** An operator's first look at Cutroom in a cluster: `kubectl get rendertasks`. */

const run = promisify(execFile);
const kubectlPath = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => fs.existsSync(p));

describe.skipIf(!kubectlPath)('kubectl against the stand-in API server', () => {
  let cluster: StandInCluster;
  let cacheDir: string;
  let kubeconfig: string;
  beforeAll(async () => {
    cluster = await startStandInCluster({ crds: [path.resolve('crds')] });
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
    kubeconfig = cluster.writeKubeconfig('kubectl');
    const type = cluster.type('rendertasks');
    cluster.registry.create(type, 'default', {
      apiVersion: 'cutroom.io/v1alpha1',
      kind: 'RenderTask',
      metadata: { name: 't-616263' },
      spec: { taskId: 'abc', kind: 'render', attempt: 2, internalUrl: 'http://cp', tokenSecretRef: { name: 't-616263', key: 'token' } },
    });
    cluster.registry.patch(
      type,
      'default',
      't-616263',
      'application/merge-patch+json',
      { status: { phase: 'Running', progress: 42, node: 'gpu-node-1' } },
      { subresource: 'status' },
    );
  });
  afterAll(async () => {
    await cluster?.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  // The server runs in this process: kubectl must run asynchronously.
  const kubectl = async (...args: string[]) => (await run(kubectlPath!, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args])).stdout;
  const table = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s{2,}/));

  it('lists render tasks with the printer columns, by plural and by short name', async () => {
    const [header, row] = table(await kubectl('get', 'rendertasks'));
    expect(header).toEqual(['NAME', 'PHASE', 'PROGRESS', 'NODE', 'AGE']);
    expect(row!.slice(0, 4)).toEqual(['t-616263', 'Running', '42', 'gpu-node-1']);
    expect(row![4]).toMatch(/^\d+s$/);

    const [wideHeader, wideRow] = table(await kubectl('get', 'rt', '-o', 'wide'));
    expect(wideHeader).toEqual(['NAME', 'TASK', 'PHASE', 'PROGRESS', 'ATTEMPT', 'NODE', 'AGE']);
    expect(wideRow!.slice(0, 6)).toEqual(['t-616263', 'abc', 'Running', '42', '2', 'gpu-node-1']);
  });

  it('finds every task kind through the cutroom category and the discovery documents', async () => {
    expect(await kubectl('get', 'cutroom')).toContain('rendertask.cutroom.io/t-616263');
    expect(await kubectl('get', 'rt', 't-616263', '-o', 'jsonpath={.spec.taskId}')).toBe('abc');
    const resources = table(await kubectl('api-resources', '--api-group=cutroom.io'));
    expect(resources.slice(1).map((r) => [r[0], r[1]])).toEqual([
      ['importtasks', 'imt,imtask'],
      ['rendertasks', 'rt,rtask'],
    ]);
  });

  it('reports a missing resource as kubectl does for a real cluster', async () => {
    const failure = await kubectl('get', 'imt', 'nope').catch((error: { stderr: string }) => error.stderr);
    expect(failure).toContain('importtasks.cutroom.io "nope" not found');
  });
});
