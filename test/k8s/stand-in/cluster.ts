import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { StandInApiServer, type ApiServerOptions } from './api-server.js';
import { GarbageCollector } from './garbage-collector.js';
import { JobController, type JobControllerOptions } from './job-controller.js';
import { Kubelet, type KubeletOptions } from './kubelet.js';
import { ObjectStore } from './object-store.js';
import { Registry } from './registry.js';
import { BUILTIN_TYPES, typeFromCrd, typeKey, type KubeObject, type ResourceType } from './resource-types.js';

/**
 * A Kubernetes cluster stand-in on loopback: the API server over HTTP with the CRDs of a
 * directory installed, the garbage collector, the Job controller and a simulated kubelet.
 */

export interface StandInOptions {
  /** Directories (or files) of CustomResourceDefinition YAML to install. */
  crds?: string[];
  api?: ApiServerOptions;
  jobs?: JobControllerOptions;
  /** The simulated nodes and how containers run; no kubelet when omitted. */
  kubelet?: KubeletOptions;
  historyLimit?: number;
}

export interface StandInCluster {
  url: string;
  store: ObjectStore;
  registry: Registry;
  api: StandInApiServer;
  kubelet: Kubelet | undefined;
  type(plural: string, group?: string): ResourceType;
  /** A KubeConfig for a user whose bearer token names it in the audit log. */
  kubeConfig(user?: string, namespace?: string): KubeConfig;
  /** Writes a kubeconfig file (for kubectl or a KUBECONFIG variable); returns its path. */
  writeKubeconfig(user?: string, namespace?: string): string;
  close(): Promise<void>;
}

export function loadCrds(paths: string[]): KubeObject[] {
  const files = paths.flatMap((p) =>
    fs.statSync(p).isDirectory()
      ? fs
          .readdirSync(p)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => path.join(p, f))
      : [p],
  );
  return files.flatMap((file) =>
    parseAllDocuments(fs.readFileSync(file, 'utf8'))
      .map((doc) => doc.toJS() as KubeObject)
      .filter((doc) => doc?.kind === 'CustomResourceDefinition'),
  );
}

export async function startStandInCluster(options: StandInOptions = {}): Promise<StandInCluster> {
  const types: ResourceType[] = [...BUILTIN_TYPES, ...loadCrds(options.crds ?? []).map(typeFromCrd)];
  const byKey = new Map(types.map((t) => [typeKey(t), t]));
  const typeOf = (key: string) => {
    const type = byKey.get(key);
    if (!type) throw new Error(`unknown type ${key}`);
    return type;
  };
  const type = (plural: string, group?: string) => {
    const found = types.find((t) => t.plural === plural && (group === undefined || t.group === group));
    if (!found) throw new Error(`the stand-in serves no ${plural}`);
    return found;
  };

  const store = new ObjectStore(options.historyLimit);
  const registry = new Registry(store);
  const gc = new GarbageCollector(store, registry, typeOf);
  const jobs = new JobController(store, registry, type('jobs'), type('pods'), options.jobs);
  const kubelet = options.kubelet ? new Kubelet(store, registry, type('pods'), type('secrets'), options.kubelet) : undefined;
  const api = new StandInApiServer(() => types, registry, store, options.api);
  const url = await api.listen();
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutroom-kubeconfig-'));

  const kubeconfigDocument = (user: string, namespace: string) => ({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain http unless TLS verification is explicitly skipped.
    clusters: [{ name: 'stand-in', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: user, user: { token: user } }],
    contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user, namespace } }],
    'current-context': 'stand-in',
  });

  return {
    url,
    store,
    registry,
    api,
    kubelet,
    type,
    kubeConfig(user = 'admin', namespace = 'default') {
      const kc = new KubeConfig();
      kc.loadFromString(stringify(kubeconfigDocument(user, namespace)));
      return kc;
    },
    writeKubeconfig(user = 'admin', namespace = 'default') {
      const file = path.join(configDir, `${user}-${namespace}.yaml`);
      fs.writeFileSync(file, stringify(kubeconfigDocument(user, namespace)));
      return file;
    },
    async close() {
      jobs.close();
      gc.close();
      await kubelet?.close();
      await api.close();
      fs.rmSync(configDir, { recursive: true, force: true });
    },
  };
}
