import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig, type KubernetesConfig } from '../../control-plane/src/config.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { makeClients, type KubeClients } from '../../control-plane/src/kubernetes/kube-client.js';
import { Operator } from '../../control-plane/src/operator/operator.js';
import { startStandInCluster, type StandInCluster } from './stand-in/cluster.js';
import type { KubeletOptions } from './stand-in/kubelet.js';

/**
 * A cluster stand-in with GPU and CPU nodes whose kubelet runs the stand-in render node in
 * place of the image's program, a fake control plane for it to talk to, and operators.
 */

export interface Hello {
  taskId: string;
  attempt: number;
  pid: number;
  token: string;
  env: string[];
}

export interface FakeControlPlane {
  url: string;
  hellos: Hello[];
  byes: Array<{ taskId: string; attempt: number }>;
  /** What the render node of a task does after saying hello: exit with a code, or run on. */
  plan(taskId: string, action: { action: 'exit'; code: number } | { action: 'run' }): void;
}

export interface Harness {
  cluster: StandInCluster;
  controlPlane: FakeControlPlane;
  config(env?: Record<string, string>): KubernetesConfig;
  clients(user: string): KubeClients;
  startOperator(identity: string, env?: Record<string, string>): Operator & { registry: Registry };
  close(): Promise<void>;
}

export const STAND_IN_RENDER_NODE = path.resolve('test/k8s/fixtures/stand-in-render-node.mjs');
export const logger = createLogger((process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent');

export async function startHarness(options: { kubelet?: Partial<KubeletOptions> } = {}): Promise<Harness> {
  const controlPlane = await startFakeControlPlane();
  const cluster = await startStandInCluster({
    crds: [path.resolve('crds')],
    kubelet: {
      nodes: [
        { name: 'cpu-1', labels: { 'kubernetes.io/os': 'linux' } },
        {
          name: 'gpu-1',
          labels: { 'kubernetes.io/os': 'linux', 'nvidia.com/gpu.present': 'true' },
          taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }],
          gpus: 2,
        },
      ],
      hostEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      // The image's program is the real render node; these tests put a stand-in in its place.
      resolveCommand: (container) => {
        if (JSON.stringify(container.command) !== JSON.stringify(['node', '/app/render-node/dist/main.js'])) {
          throw new Error(`unexpected render-node command ${JSON.stringify(container.command)}`);
        }
        return { command: process.execPath, args: [STAND_IN_RENDER_NODE] };
      },
      ...options.kubelet,
    },
  });
  const operators: Operator[] = [];
  const config = (env: Record<string, string> = {}) =>
    loadConfig({
      KUBERNETES_NAMESPACE: 'default',
      OPERATOR_LEASE_DURATION_SECONDS: '2',
      OPERATOR_RESYNC_SECONDS: '30',
      RENDER_NODE_IMAGE: 'cutroom/render-node:test',
      RENDER_NODE_GPU_IMAGE: 'cutroom/render-node:test-nvidia',
      ...env,
    }).kubernetes;
  return {
    cluster,
    controlPlane,
    config,
    clients: (user) => makeClients(cluster.kubeConfig(user)),
    startOperator(identity, env = {}) {
      const registry = new Registry();
      const operator = new Operator(
        makeClients(cluster.kubeConfig(identity)),
        { ...config(env), operatorIdentity: identity },
        registry,
        logger.child({ identity }),
      );
      operator.start();
      operators.push(operator);
      return Object.assign(operator, { registry });
    },
    async close() {
      await Promise.all(operators.map((o) => o.stop()));
      await cluster.close();
      await controlPlane.close();
    },
  };
}

async function startFakeControlPlane(): Promise<FakeControlPlane & { close(): Promise<void> }> {
  const hellos: Hello[] = [];
  const byes: Array<{ taskId: string; attempt: number }> = [];
  const plans = new Map<string, object>();
  const answer = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (req.url === '/hello') hellos.push({ ...body, token });
    if (req.url === '/bye') byes.push(body);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(plans.get(body.taskId) ?? { action: 'exit', code: 0 }));
  };
  const server = http.createServer((req, res) => void answer(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hellos,
    byes,
    plan: (taskId, action) => plans.set(taskId, action),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
