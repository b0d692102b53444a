import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { registerProcessMetrics } from '../metrics.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { loadKubeConfig, makeClients } from '../kubernetes/kube-client.js';
import { Operator } from './operator.js';

/**
 * `cutroom operator`: the operator as its own process, with a small HTTP server for the
 * kubelet's probes and Prometheus (`/healthz`, `/readyz`, `/metrics` on OPERATOR_PORT).
 */
export interface OperatorProcess {
  operator: Operator;
  url: string;
  stop(): Promise<void>;
}

export async function startOperatorProcess(config: Config, logger: Logger): Promise<OperatorProcess> {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const clients = makeClients(loadKubeConfig(config.kubernetes));
  const operator = new Operator(clients, config.kubernetes, registry, logger.child({ component: 'operator' }));

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz') {
      // A standby replica is healthy and ready too: it is waiting for the Lease, as it should.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', leader: operator.isLeader }));
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'not_found', message: 'no such endpoint', title: 'Not found' } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.kubernetes.operatorPort, config.host, () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  operator.start();
  logger.info({ url }, 'operator health and metrics listening');

  return {
    operator,
    url,
    async stop() {
      await operator.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
