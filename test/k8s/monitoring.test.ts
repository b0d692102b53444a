import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { Registry } from 'prom-client';
import { Metrics } from '../../control-plane/src/metrics.js';
import { OperatorMetrics } from '../../control-plane/src/operator/operator-metrics.js';
import { renderChart } from './chart/render-chart.js';
import { validateObject } from './chart/validate-objects.js';

/**
 * The alerts and the dashboard the chart ships use only metrics the code exports, and the
 * catalogue in docs/metrics.md names every metric and every alert.
 */

async function exportedNames(): Promise<Set<string>> {
  const metrics = new Metrics();
  metrics.observeQueue(async () => ({ counts: [], oldestPendingS: [], longestSilenceS: [], callbacksPending: 0, oldestCallbackS: 0 }), 60_000);
  metrics.observePool(() => undefined);
  const operatorRegistry = new Registry();
  new OperatorMetrics(operatorRegistry);
  const names = [...metrics.registry.getMetricsAsArray(), ...operatorRegistry.getMetricsAsArray()].map((m) => m.name);
  return new Set(names);
}

const referenced = (text: string) => new Set([...text.matchAll(/\b(cutroom_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')));

describe('monitoring shipped with the chart', () => {
  const objects = renderChart({ values: [{ prometheusRule: { enabled: true, labels: { release: 'prometheus' } }, grafanaDashboard: { enabled: true } }] });
  const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
  const dashboard = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'))!;

  it('renders a valid PrometheusRule with every alert, and a dashboard for the sidecar', async () => {
    expect(await validateObject(rule)).toEqual([]);
    expect(await validateObject(dashboard)).toEqual([]);
    const alerts = rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert).filter(Boolean));
    expect(alerts).toEqual([
      'CutroomRenderFailureRateHigh',
      'CutroomQueueBacklog',
      'CutroomTasksStuck',
      'CutroomCallbackBacklog',
      'CutroomMetricsSnapshotStale',
      'CutroomOperatorNotLeading',
    ]);
    expect(rule.metadata.labels!.release).toBe('prometheus');
    expect(dashboard.metadata.labels!.grafana_dashboard).toBe('1');
    expect(JSON.parse(dashboard.data['cutroom.json']).panels.length).toBeGreaterThan(10);
  });

  it('uses only metrics the control plane and the operator export', async () => {
    const exported = await exportedNames();
    const used = new Set([...referenced(JSON.stringify(rule.spec)), ...referenced(dashboard.data['cutroom.json'])]);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(used.has('cutroom_tasks_finished_total')).toBe(true);
  });

  it('has a catalogue naming every exported metric and every alert', async () => {
    const catalogue = fs.readFileSync('docs/metrics.md', 'utf8');
    const cutroomMetrics = [...(await exportedNames())].filter((name) => name.startsWith('cutroom_'));
    expect(cutroomMetrics.filter((name) => !catalogue.includes(`\`${name}\``))).toEqual([]);
    for (const alert of rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert).filter(Boolean))) expect(catalogue).toContain(`\`${alert}\``);
  });
});
