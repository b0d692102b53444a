import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KubernetesDispatcher } from '../../control-plane/src/work/kubernetes-dispatcher.js';
import type { WorkerLaunch } from '../../control-plane/src/work/dispatcher.js';
import { resourceNameForTask, type TaskResource } from '../../control-plane/src/kubernetes/task-resource.js';
import type { AuditRecord } from './stand-in/api-server.js';
import { renderChart } from './chart/render-chart.js';
import { logger, startHarness, type Harness } from './operator-harness.js';

/**
 * Least privilege, checked: the dispatcher and the operator run their whole repertoire against
 * the stand-in, then every call they made must be allowed by the chart's Roles, and every right
 * the Roles grant must have been used (or be one the stand-in cannot show, said below).
 */

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Rights the stand-in cannot exercise, and why they are granted anyway. */
const NEEDED_BEYOND_THE_STAND_IN: Record<string, string> = {
  // OwnerReferencesPermissionEnforcement (on in most clusters): a Job whose owner reference
  // has blockOwnerDeletion needs update on the owner's finalizers subresource.
  'operator cutroom.io task/finalizers update': 'blockOwnerDeletion on the Jobs',
  // Read when the Job cache has not seen a Job the operator created a moment ago.
  'operator batch jobs get': 'cache lag after create',
};

const family = (resource: string) => resource.replace(/^(rendertasks|importtasks)/, 'task');

function allowed(rules: Rule[], record: AuditRecord): boolean {
  const resource = record.subresource ? `${record.resource}/${record.subresource}` : record.resource;
  return rules.some(
    (rule) =>
      rule.apiGroups.includes(record.group) &&
      rule.resources.includes(resource) &&
      rule.verbs.includes(record.verb) &&
      (!rule.resourceNames || (record.name !== undefined && rule.resourceNames.includes(record.name) && !['create', 'list', 'watch'].includes(record.verb))),
  );
}

describe("the chart's RBAC against what the components call", () => {
  let harness: Harness;
  let dispatcher: KubernetesDispatcher;
  let roles: Record<string, Rule[]>;
  beforeAll(async () => {
    harness = await startHarness();
    const docs = renderChart({ values: [{}] });
    const role = (suffix: string) => docs.find((d) => d.kind === 'Role' && String(d.metadata.name).endsWith(suffix))!.rules as Rule[];
    roles = { 'control-plane': role('-dispatcher'), operator: role('-operator') };
  });
  afterAll(async () => {
    await dispatcher?.close();
    await harness?.close();
  });

  it('uses only what the Roles grant, and the Roles grant nothing unused', async () => {
    harness.startOperator('operator');
    dispatcher = new KubernetesDispatcher(
      { clients: harness.clients('control-plane'), namespace: 'default', taskTtlMs: 60_000, maxActiveTasks: 10, logger },
      { workerLost: () => {} },
    );
    await dispatcher.start();
    const launch = (taskId: string, kind: WorkerLaunch['kind'], attempt = 1): WorkerLaunch => ({
      taskId,
      kind,
      attempt,
      token: `t-${attempt}`,
      internalUrl: harness.controlPlane.url,
      gpu: false,
      deadlineS: 60,
    });
    const phase = (taskId: string, plural: string, wanted: string) =>
      vi.waitFor(
        async () => {
          const r = (await harness.clients('test').customObjects.getNamespacedCustomObject({
            group: 'cutroom.io',
            version: 'v1alpha1',
            namespace: 'default',
            plural,
            name: resourceNameForTask(taskId),
          })) as TaskResource;
          expect(r.status?.phase).toBe(wanted);
        },
        { timeout: 20_000, interval: 25 },
      );

    // A render that fails, is launched again as the same attempt, then as a new one.
    harness.controlPlane.plan('rbac-render', { action: 'exit', code: 1 });
    await dispatcher.launch(launch('rbac-render', 'render'));
    await dispatcher.launch(launch('rbac-render', 'render'));
    await phase('rbac-render', 'rendertasks', 'Failed');
    harness.controlPlane.plan('rbac-render', { action: 'exit', code: 0 });
    await dispatcher.launch(launch('rbac-render', 'render', 2));
    await phase('rbac-render', 'rendertasks', 'Succeeded');
    // An import that reports progress and is stopped.
    harness.controlPlane.plan('rbac-import', { action: 'run' });
    await dispatcher.launch(launch('rbac-import', 'import_url'));
    await phase('rbac-import', 'importtasks', 'Running');
    await dispatcher.recordProgress('rbac-import', 50);
    await dispatcher.stop('rbac-import');
    // Finished resources are collected.
    await vi.waitFor(async () => expect(await dispatcher.collectFinished(Date.now() + 120_000)).toBeGreaterThan(0), { timeout: 20_000, interval: 25 });

    const audit = harness.cluster.api.audit.filter((r) => r.user === 'control-plane' || r.user === 'operator');
    const refused = audit
      .filter((r) => !allowed(roles[r.user]!, r))
      .map((r) => `${r.user} ${r.verb} ${r.group}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}`);
    expect([...new Set(refused)]).toEqual([]);

    const used = new Set(audit.map((r) => `${r.user} ${r.group} ${family(r.subresource ? `${r.resource}/${r.subresource}` : r.resource)} ${r.verb}`));
    const unused: string[] = [];
    for (const [user, rules] of Object.entries(roles)) {
      for (const rule of rules) {
        for (const group of rule.apiGroups) {
          for (const resource of rule.resources) {
            for (const verb of rule.verbs) {
              const right = `${user} ${group} ${family(resource)} ${verb}`;
              if (!used.has(right) && !NEEDED_BEYOND_THE_STAND_IN[right]) unused.push(right);
            }
          }
        }
      }
    }
    expect([...new Set(unused)]).toEqual([]);
    // The control plane never reads a Secret back.
    expect(audit.filter((r) => r.user === 'control-plane' && r.resource === 'secrets').map((r) => r.verb)).toEqual(expect.arrayContaining(['create']));
    expect(audit.some((r) => r.user === 'control-plane' && r.resource === 'secrets' && r.verb !== 'create')).toBe(false);
  });
});
