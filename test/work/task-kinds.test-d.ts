/**
 * Compile-time checks of the task kinds' types (render-node/src/task-kinds.ts): nothing here
 * runs. `npx tsc -p tsconfig.tests.json` (part of `make test`) compiles this file, and fails
 * when a line under `@ts-expect-error` compiles: that is, when a spec, work order or result of
 * one kind is accepted where another kind's is due.
 */
import type { IngestResult, IngestSpec, ProbeResult, RenderTaskResult, StoredIngestSpec, StoredRenderSpec } from '@cutroom/render-node';
import type { TaskHandler, TaskHandlers } from '../../render-node/src/worker/task-handler.js';
import type { TaskKindDefinition } from '../../control-plane/src/work/task-kinds.js';
import type { TaskRow } from '../../control-plane/src/work/task-store.js';
import type { WorkQueue } from '../../control-plane/src/work/work-queue.js';

declare const work: WorkQueue;
declare const renderSpec: StoredRenderSpec;
declare const ingestSpec: StoredIngestSpec;
declare const ingestOrder: IngestSpec;
declare const ingestResult: IngestResult;
declare const probeResult: ProbeResult;
declare const handlers: TaskHandlers;
declare const task: TaskRow;

// ---- submitting: the spec must be the kind's ----

export const submissions = [
  work.submit({ kind: 'render', spec: renderSpec }),
  work.submit({ kind: 'ingest', spec: ingestSpec }),
  work.submit({ kind: 'probe', spec: { url: 'https://example.com/clip.mp4' } }),
  // @ts-expect-error a render's spec submitted as an ingest
  work.submit({ kind: 'ingest', spec: renderSpec }),
  // @ts-expect-error an ingest's spec submitted as a render
  work.submit({ kind: 'render', spec: ingestSpec }),
  // @ts-expect-error a probe without its URL
  work.submit({ kind: 'probe', spec: {} }),
  // @ts-expect-error no such kind
  work.submit({ kind: 'transcode', spec: ingestSpec }),
];

// ---- render node: each handler takes its kind's order and answers its kind's result ----

export const probeHandler: TaskHandler<'probe'> = async (context) => {
  void new URL(context.order.spec.url);
  return probeResult;
};

// @ts-expect-error a probe handler answering an ingest's result
export const wrongResult: TaskHandler<'probe'> = async () => ingestResult;

export const wrongOrder: TaskHandler<'ingest'> = async (context) => {
  // @ts-expect-error an ingest's order has no `url` of a probe's
  void context.order.spec.url;
  return ingestResult;
};

// @ts-expect-error the mediainfo kind served by the probe handler
export const swapped: TaskHandlers = { ...handlers, mediainfo: handlers.probe };

// @ts-expect-error a kind without a handler
export const missing: TaskHandlers = {
  render: handlers.render,
  ingest: handlers.ingest,
  import_url: handlers.import_url,
  mediainfo: handlers.mediainfo,
  probe: handlers.probe,
};

// ---- control plane: a kind's definition is typed by the kind ----

export const ingestKind: TaskKindDefinition<'ingest'> = {
  kind: 'ingest',
  maxAttempts: 1,
  heartbeatTimeoutS: 60,
  deadlineS: 600,
  workOrder: async (t) => ({ ...ingestOrder, name: t.spec.mediaId }),
  onComplete: async (_task, result: IngestResult) => void result.sizeBytes,
};
work.register(ingestKind);

export const wrongCompletion: TaskKindDefinition<'ingest'> = {
  kind: 'ingest',
  maxAttempts: 1,
  heartbeatTimeoutS: 60,
  deadlineS: 600,
  workOrder: async () => ingestOrder,
  // @ts-expect-error onComplete of an ingest taking a render's result
  onComplete: async (_task, result: RenderTaskResult) => void result.outputs,
};

export const wrongWorkOrder: TaskKindDefinition<'probe'> = {
  kind: 'probe',
  maxAttempts: 1,
  heartbeatTimeoutS: 60,
  deadlineS: 600,
  // @ts-expect-error a probe's work order made of an ingest's
  workOrder: async () => ingestOrder,
};

export const wrongKind: TaskKindDefinition<'probe'> = {
  // @ts-expect-error a probe's definition registered as a render's
  kind: 'render',
  maxAttempts: 1,
  heartbeatTimeoutS: 60,
  deadlineS: 600,
  workOrder: async (t) => ({ url: t.spec.url }),
};

// ---- tasks read back: the spec is the kind's once the kind is checked ----

if (task.kind === 'probe') void task.spec.url;
// @ts-expect-error the spec of a task of any kind
void task.spec.url;
