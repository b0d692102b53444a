// Runs the Kubernetes API stand-in on its own, for trying Cutroom's Kubernetes side by hand:
//   node --import tsx test/k8s/stand-in/main.ts
// It installs crds/, simulates a CPU node and a GPU node whose kubelet runs containers as local
// processes (the images' /app/ mapped to this repository), and prints a kubeconfig for kubectl,
// `cutroom operator` and DISPATCHER=kubernetes.
import path from 'node:path';
import { startStandInCluster } from './cluster.js';

const root = path.resolve(import.meta.dirname, '../../..');
const cluster = await startStandInCluster({
  crds: [path.join(root, 'crds')],
  kubelet: {
    nodes: [
      { name: 'cpu-1' },
      { name: 'gpu-1', labels: { 'nvidia.com/gpu.present': 'true' }, taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }], gpus: 1 },
    ],
    appRoot: root,
    hostEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
  },
  api: { bookmarkIntervalMs: 30_000 },
});
const kubeconfig = cluster.writeKubeconfig('admin');
process.stdout.write(`Kubernetes API stand-in on ${cluster.url}\nexport KUBECONFIG=${kubeconfig}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cluster.close().then(() => process.exit(0));
  });
}
