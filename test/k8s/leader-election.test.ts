import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resourceNameForTask, type TaskResource } from '../../control-plane/src/kubernetes/task-resource.js';
import { StatusError } from './stand-in/errors.js';
import type { AuditRecord } from './stand-in/api-server.js';
import { startHarness, type Harness } from './operator-harness.js';

/** Two operator replicas on one Lease: one acts, the other waits, and they never both act. */

const namespace = 'default';
const group = 'cutroom.io';
const version = 'v1alpha1';

describe('operator leader election', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(() => harness?.close());

  const submit = async (taskId: string) => {
    const clients = harness.clients('test');
    const name = resourceNameForTask(taskId);
    await clients.customObjects.createNamespacedCustomObject({
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
    await clients.core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { token: 't' } } });
  };
  const allSucceeded = (taskIds: string[]) =>
    vi.waitFor(
      async () => {
        const list = await harness.clients('test').customObjects.listNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks' });
        const phases = Object.fromEntries((list.items as TaskResource[]).map((r) => [r.spec.taskId, r.status?.phase]));
        for (const id of taskIds) expect(phases[id]).toBe('Succeeded');
      },
      { timeout: 20_000, interval: 25 },
    );
  const holder = async () => (await harness.clients('test').coordination.readNamespacedLease({ namespace, name: 'cutroom-operator' })).spec?.holderIdentity;
  /** What an operator did to the cluster (its Lease aside). */
  const actions = (user: string): AuditRecord[] =>
    harness.cluster.api.audit.filter((r) => r.user === user && r.resource !== 'leases' && ['create', 'patch', 'update', 'delete'].includes(r.verb));
  const jobCreates = () => harness.cluster.api.audit.filter((r) => r.resource === 'jobs' && r.verb === 'create' && r.code === 200);

  it('lets only the Lease holder create Jobs, and hands over when the leader stops', async () => {
    const a = harness.startOperator('operator-a');
    await vi.waitFor(async () => expect(await holder()).toBe('operator-a'), { timeout: 20_000, interval: 25 });
    const b = harness.startOperator('operator-b');
    const first = ['le-1', 'le-2', 'le-3', 'le-4'];
    for (const id of first) await submit(id);
    await allSucceeded(first);
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    expect(jobCreates().map((r) => r.user)).toEqual(['operator-a', 'operator-a', 'operator-a', 'operator-a']);
    expect(actions('operator-b')).toEqual([]);
    expect(await a.registry.getSingleMetricAsString('cutroom_operator_leader')).toMatch(/cutroom_operator_leader 1$/m);
    expect(await b.registry.getSingleMetricAsString('cutroom_operator_leader')).toMatch(/cutroom_operator_leader 0$/m);
    expect(await a.registry.getSingleMetricAsString('cutroom_operator_reconcile_duration_seconds')).toMatch(
      /cutroom_operator_reconcile_duration_seconds_count\{kind="RenderTask",result="success"\} [1-9]/,
    );

    // A graceful stop hands the Lease back: the standby takes over without waiting it out.
    await a.stop();
    await vi.waitFor(async () => expect(await holder()).toBe('operator-b'), { timeout: 20_000, interval: 25 });
    await submit('le-5');
    await allSucceeded(['le-5']);
    expect(jobCreates().map((r) => r.user)).toEqual([...first.map(() => 'operator-a'), 'operator-b']);
  });

  it('never lets two operators act at once when the leader cannot renew its Lease', async () => {
    const a = harness.startOperator('operator-a');
    await vi.waitFor(async () => expect(await holder()).toBe('operator-a'), { timeout: 20_000, interval: 25 });
    const b = harness.startOperator('operator-b');
    await submit('split-0');
    await allSucceeded(['split-0']);

    // operator-a loses the Lease's API (as when partitioned from it) but could still act.
    harness.cluster.api.faults.push((r) =>
      r.user === 'operator-a' && r.resource === 'leases' ? new StatusError(503, 'ServiceUnavailable', 'lease unreachable') : undefined,
    );
    const submitted: string[] = [];
    // Work keeps coming while operator-b takes over: at least five tasks, until it leads.
    await vi.waitFor(
      async () => {
        const name = `split-${submitted.length + 1}`;
        submitted.push(name);
        await submit(name);
        expect(submitted.length).toBeGreaterThanOrEqual(5);
        expect(b.isLeader, 'operator-b leads').toBe(true);
      },
      { timeout: 20_000, interval: 100 },
    );
    await allSucceeded(submitted);
    expect(a.isLeader).toBe(false);

    const lastOfA = Math.max(...actions('operator-a').map((r) => r.atMs));
    const firstOfB = Math.min(...actions('operator-b').map((r) => r.atMs));
    expect(actions('operator-b').length).toBeGreaterThan(0);
    expect(lastOfA).toBeLessThan(firstOfB);
    // Each resource got exactly one Job.
    const names = jobCreates().map((r) => r.name ?? '');
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(submitted.length + 1);
  });
});
