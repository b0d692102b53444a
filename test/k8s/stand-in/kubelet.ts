import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ObjectStore } from './object-store.js';
import type { Registry } from './registry.js';
import { typeKey, type KubeObject, type ResourceType } from './resource-types.js';

/**
 * A simulated scheduler and kubelet: binds each pod to a node whose labels, taints and GPUs
 * fit, runs the pod's container command as a local process with the pod's environment (values,
 * secretKeyRef, fieldRef), reports pod status as a kubelet does, and on graceful deletion stops
 * the process (SIGTERM, then SIGKILL after the grace period) before removing the pod.
 */

export interface SimulatedNode {
  name: string;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  /** nvidia.com/gpu the node offers. */
  gpus?: number;
}

export interface ContainerCommand {
  command: string;
  args: string[];
}

export interface KubeletOptions {
  nodes: SimulatedNode[];
  /**
   * How a container becomes a local command; the default runs `command` + `args` with the
   * image's `/app/` mapped to `appRoot`.
   */
  resolveCommand?: (container: Record<string, any>, pod: KubeObject) => ContainerCommand;
  appRoot?: string;
  /** Host variables a container needs to find its interpreter (a real image brings its own). */
  hostEnv?: Record<string, string>;
  /** Images the simulated registry cannot serve: their pods wait in ErrImagePull. */
  unpullableImage?: (image: string) => boolean;
}

interface RunningContainer {
  child: ChildProcess;
  startedAt: string;
  /** Set when the stand-in kills the process as the kernel's OOM killer would. */
  oomKilled: boolean;
  exited: Promise<void>;
  killTimer?: NodeJS.Timeout;
}

const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class Kubelet {
  private readonly running = new Map<string, RunningContainer>();
  private readonly logs = new Map<string, string>();
  private readonly scheduled = new Set<string>();
  private readonly unsubscribe: () => void;
  private readonly workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutroom-kubelet-'));
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: Registry,
    private readonly pods: ResourceType,
    private readonly secrets: ResourceType,
    private readonly options: KubeletOptions,
  ) {
    this.unsubscribe = store.subscribe((event) => {
      if (event.typeKey === typeKey(pods)) {
        this.schedule(event.object.metadata.namespace!, event.object.metadata.name!);
        // A pod that finished may free a GPU an unschedulable pod waits for.
        if (event.type === 'DELETED' || event.object.status?.phase === 'Succeeded' || event.object.status?.phase === 'Failed') this.retryUnscheduled();
      }
      if (event.typeKey === typeKey(secrets)) this.retryWaiting();
    });
  }

  /** The pid of the container process of a pod, while it runs. */
  pid(podName: string): number | undefined {
    for (const [key, container] of this.running) if (key.endsWith(`/${podName}`)) return container.child.pid;
    return undefined;
  }

  /** Every pod name with a live process. */
  runningPods(): string[] {
    return [...this.running.keys()].map((key) => key.split('/')[1]!);
  }

  /** Output of a pod's container (stdout and stderr, last 64 KiB). */
  podLogs(podName: string): string {
    for (const [key, text] of this.logs) if (key.endsWith(`/${podName}`)) return text;
    return '';
  }

  /** Kills a pod's process as the OOM killer does: SIGKILL, reported as OOMKilled. */
  oomKill(podName: string): boolean {
    for (const [key, container] of this.running) {
      if (!key.endsWith(`/${podName}`)) continue;
      container.oomKilled = true;
      this.signal(container, 'SIGKILL');
      return true;
    }
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    for (const container of this.running.values()) this.signal(container, 'SIGKILL');
    await Promise.all([...this.running.values()].map((c) => c.exited));
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  private schedule(namespace: string, name: string, delayMs = 0): void {
    const key = `${namespace}/${name}`;
    if (this.closed) return;
    if (delayMs > 0) {
      setTimeout(() => this.schedule(namespace, name), delayMs).unref();
      return;
    }
    if (this.scheduled.has(key)) return;
    this.scheduled.add(key);
    setImmediate(() => {
      this.scheduled.delete(key);
      if (this.closed) return;
      try {
        this.reconcile(namespace, name);
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (code === 409) this.schedule(namespace, name, 10);
        else if (code !== 404) console.error('stand-in kubelet failed', error);
      }
    });
  }

  private retryUnscheduled(): void {
    for (const pod of this.store.list(this.pods)) if (!pod.spec.nodeName) this.schedule(pod.metadata.namespace!, pod.metadata.name!);
  }

  private retryWaiting(): void {
    for (const pod of this.store.list(this.pods)) {
      if (pod.spec.nodeName && pod.status?.phase === 'Pending') this.schedule(pod.metadata.namespace!, pod.metadata.name!);
    }
  }

  private reconcile(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const pod = this.store.get(this.pods, namespace, name);
    const container = this.running.get(key);
    if (!pod) {
      if (container) this.signal(container, 'SIGKILL');
      return;
    }
    if (!pod.spec.nodeName) {
      if (pod.metadata.deletionTimestamp) return this.remove(pod);
      return this.bind(pod);
    }
    if (pod.metadata.deletionTimestamp) {
      if (container) {
        if (!container.killTimer) {
          this.signal(container, 'SIGTERM');
          const graceMs = Math.max(0, Date.parse(pod.metadata.deletionTimestamp) - Date.now());
          container.killTimer = setTimeout(() => this.signal(container, 'SIGKILL'), graceMs);
        }
        return; // the exit handler reports the status and comes back here
      }
      return this.remove(pod);
    }
    if (pod.status?.phase !== 'Pending' || container) return;
    this.start(pod);
  }

  private remove(pod: KubeObject): void {
    this.registry.delete(this.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0 });
  }

  private bind(pod: KubeObject): void {
    const node = this.options.nodes.find((n) => this.fits(pod, n));
    if (!node) {
      const condition = {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: `0/${this.options.nodes.length} nodes are available: no node matches the pod's node selector, tolerations and GPU request.`,
        lastTransitionTime: timestamp(),
      };
      if (pod.status?.conditions?.[0]?.reason !== 'Unschedulable') {
        this.registry.update(
          this.pods,
          pod.metadata.namespace,
          pod.metadata.name!,
          { ...pod, status: { phase: 'Pending', conditions: [condition] } },
          { subresource: 'status' },
        );
      }
      return;
    }
    this.registry.update(this.pods, pod.metadata.namespace, pod.metadata.name!, { ...pod, spec: { ...pod.spec, nodeName: node.name } });
  }

  private fits(pod: KubeObject, node: SimulatedNode): boolean {
    const selector: Record<string, string> = pod.spec.nodeSelector ?? {};
    if (Object.entries(selector).some(([k, v]) => node.labels?.[k] !== v)) return false;
    const tolerations: Array<Record<string, string>> = pod.spec.tolerations ?? [];
    const tolerated = (taint: { key: string; value?: string; effect: string }) =>
      tolerations.some(
        (t) => (t.key === undefined || t.key === taint.key) && (!t.effect || t.effect === taint.effect) && (t.operator === 'Exists' || t.value === taint.value),
      );
    if ((node.taints ?? []).some((taint) => taint.effect !== 'PreferNoSchedule' && !tolerated(taint))) return false;
    const gpus = (p: KubeObject) =>
      (p.spec.containers as Array<Record<string, any>>).reduce((n, c) => n + Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0), 0);
    const wanted = gpus(pod);
    if (wanted === 0) return true;
    const used = this.store
      .list(this.pods)
      .filter((p) => p.spec.nodeName === node.name && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .reduce((n, p) => n + gpus(p), 0);
    return used + wanted <= (node.gpus ?? 0);
  }

  private start(pod: KubeObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const spec = pod.spec.containers[0] as Record<string, any>;
    if (this.options.unpullableImage?.(spec.image)) {
      const waiting = { reason: 'ErrImagePull', message: `failed to pull and unpack image "${spec.image}": not found` };
      this.writeStatus(pod, { phase: 'Pending', containerStatuses: [this.containerStatus(spec, { waiting }, false)] });
      return;
    }
    const podDir = path.join(this.workDir, pod.metadata.uid);
    const mounts = this.mountVolumes(pod, spec, podDir);
    let env: Record<string, string>;
    try {
      env = this.environment(pod, spec, mounts);
    } catch (error) {
      const waiting = { reason: 'CreateContainerConfigError', message: (error as Error).message };
      this.writeStatus(pod, { phase: 'Pending', containerStatuses: [this.containerStatus(spec, { waiting }, false)] });
      return; // retried when a Secret changes
    }
    const { command, args } = (this.options.resolveCommand ?? this.defaultCommand)(spec, pod);
    const child = spawn(command, args, {
      cwd: fs.existsSync(podDir) ? podDir : this.workDir,
      env: { ...this.options.hostEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const startedAt = timestamp();
    let exit!: () => void;
    const container: RunningContainer = { child, startedAt, oomKilled: false, exited: new Promise((resolve) => (exit = resolve)) };
    this.running.set(key, container);
    const capture = (chunk: Buffer) => this.logs.set(key, ((this.logs.get(key) ?? '') + chunk.toString()).slice(-65536));
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
      capture(Buffer.from(`${error.message}\n`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(container.killTimer);
      this.running.delete(key);
      const exitCode = code ?? (signal ? 128 + (SIGNALS[signal] ?? 1) : 1);
      const reason = container.oomKilled ? 'OOMKilled' : spawnError ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error';
      const latest = this.store.get(this.pods, pod.metadata.namespace, pod.metadata.name!);
      if (latest && !this.closed) {
        this.writeStatus(latest, {
          phase: exitCode === 0 ? 'Succeeded' : 'Failed',
          conditions: this.conditions(false),
          containerStatuses: [
            this.containerStatus(
              spec,
              {
                terminated: {
                  exitCode,
                  reason,
                  startedAt,
                  finishedAt: timestamp(),
                  containerID: `stand-in://${child.pid}`,
                  ...(spawnError ? { message: spawnError.message } : {}),
                },
              },
              false,
            ),
          ],
        });
        this.schedule(pod.metadata.namespace!, pod.metadata.name!);
      }
      exit();
    });
    this.writeStatus(pod, {
      phase: 'Running',
      conditions: this.conditions(true),
      containerStatuses: [this.containerStatus(spec, { running: { startedAt } }, true)],
      startTime: startedAt,
    });
  }

  private defaultCommand = (container: Record<string, any>): ContainerCommand => {
    const words: string[] = [...(container.command ?? []), ...(container.args ?? [])];
    if (words.length === 0) throw new Error(`container ${container.name} has no command; the stand-in cannot run an image's entrypoint`);
    const appRoot = this.options.appRoot;
    const mapped = words.map((w) => (appRoot && w.startsWith('/app/') ? path.join(appRoot, w.slice(5)) : w));
    return { command: mapped[0]!, args: mapped.slice(1) };
  };

  /** emptyDir volumes become directories of the pod; returns mountPath → local directory. */
  private mountVolumes(pod: KubeObject, container: Record<string, any>, podDir: string): Array<[string, string]> {
    const volumes: Array<Record<string, any>> = pod.spec.volumes ?? [];
    const mounts: Array<[string, string]> = [];
    for (const mount of (container.volumeMounts ?? []) as Array<Record<string, string>>) {
      const volume = volumes.find((v) => v.name === mount.name);
      if (!volume?.emptyDir) continue;
      const dir = path.join(podDir, 'volumes', mount.name!);
      fs.mkdirSync(dir, { recursive: true });
      mounts.push([mount.mountPath!, dir]);
    }
    return mounts;
  }

  private environment(pod: KubeObject, container: Record<string, any>, mounts: Array<[string, string]>): Record<string, string> {
    const env: Record<string, string> = {};
    const secretValue = (ref: { name: string; key: string; optional?: boolean }): string | undefined => {
      const secret = this.store.get(this.secrets, pod.metadata.namespace, ref.name);
      if (!secret) {
        if (ref.optional) return undefined;
        throw new Error(`secret "${ref.name}" not found`);
      }
      const value = secret.data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) return undefined;
        throw new Error(`couldn't find key ${ref.key} in Secret ${pod.metadata.namespace}/${ref.name}`);
      }
      return Buffer.from(value, 'base64').toString('utf8');
    };
    for (const from of (container.envFrom ?? []) as Array<Record<string, any>>) {
      if (!from.secretRef) continue;
      const secret = this.store.get(this.secrets, pod.metadata.namespace, from.secretRef.name);
      if (!secret && !from.secretRef.optional) throw new Error(`secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries((secret?.data ?? {}) as Record<string, string>))
        env[`${from.prefix ?? ''}${k}`] = Buffer.from(v, 'base64').toString('utf8');
    }
    for (const variable of (container.env ?? []) as Array<Record<string, any>>) {
      let value: string | undefined;
      if (variable.valueFrom?.secretKeyRef) value = secretValue(variable.valueFrom.secretKeyRef);
      else if (variable.valueFrom?.fieldRef) value = this.fieldValue(pod, variable.valueFrom.fieldRef.fieldPath);
      else if (variable.valueFrom) value = '';
      else value = String(variable.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
      if (value === undefined) continue;
      // A path under a mounted volume points at the volume's local directory here.
      for (const [mountPath, dir] of mounts) if (value === mountPath || value.startsWith(`${mountPath}/`)) value = dir + value.slice(mountPath.length);
      env[variable.name] = value;
    }
    return env;
  }

  private fieldValue(pod: KubeObject, fieldPath: string): string {
    const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
    if (label) return pod.metadata.labels?.[label[1]!] ?? '';
    switch (fieldPath) {
      case 'metadata.name':
        return pod.metadata.name!;
      case 'metadata.namespace':
        return pod.metadata.namespace!;
      case 'metadata.uid':
        return pod.metadata.uid;
      case 'spec.nodeName':
        return pod.spec.nodeName;
      case 'status.podIP':
      case 'status.hostIP':
        return '127.0.0.1';
      default:
        return '';
    }
  }

  private conditions(ready: boolean) {
    const at = timestamp();
    return ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
      type,
      status: type === 'PodScheduled' || type === 'Initialized' || ready ? 'True' : 'False',
      lastTransitionTime: at,
      lastProbeTime: null,
    }));
  }

  private containerStatus(container: Record<string, any>, state: Record<string, unknown>, ready: boolean) {
    return { name: container.name, image: container.image, imageID: '', ready, started: ready, restartCount: 0, state };
  }

  private writeStatus(pod: KubeObject, status: Record<string, unknown>): void {
    const latest = this.store.get(this.pods, pod.metadata.namespace, pod.metadata.name!);
    if (!latest) return;
    this.registry.update(
      this.pods,
      latest.metadata.namespace,
      latest.metadata.name!,
      { ...latest, status: { hostIP: '127.0.0.1', podIP: '127.0.0.1', ...latest.status, ...status } },
      { subresource: 'status' },
    );
  }

  private signal(container: RunningContainer, signal: NodeJS.Signals): void {
    try {
      // The container is a process group: its children go with it.
      process.kill(-container.child.pid!, signal);
    } catch {
      container.child.kill(signal);
    }
  }
}
