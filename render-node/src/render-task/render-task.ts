import fs from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSource } from '../engine/sources.js';
import { renderTimeline } from '../engine/render-timeline.js';
import { RenderError } from '../engine/render-error.js';
import type { RenderLog } from '../engine/render-log.js';
import { parseXtl } from '../xtl/parse-xtl.js';
import { XtlError } from '../xtl/xtl-error.js';
import type { XtlDocument } from '../xtl/model.js';
import { TaskFailure, type TaskContext } from '../worker/task-handler.js';
import { cpuTime } from './cpu-time.js';
import { deliverOutputs } from './deliver-outputs.js';
import { prepareSources, sourceFromWorkOrder } from './prepare-sources.js';
import { renderFailure } from './render-failure.js';
import { RENDER_STAGES, type RenderTaskResult, type RenderTaskSpec } from './render-spec.js';

/**
 * An editing task on a render node: make the sources readable (stage `downloading` while
 * developer media come in), render every group with the engine (stage `running`), upload the
 * outputs (stage `uploading`). Progress runs from 0 to 1 across the three stages; the engine's
 * decisions go to the task's log; failures carry the editor API's error object.
 */

export async function renderTask(context: TaskContext<RenderTaskSpec>): Promise<RenderTaskResult> {
  const { spec } = context.order;
  const { signal } = context;
  const timeline = parse(spec);
  const downloads = Object.values(spec.sources).filter((s) => s.kind === 'download').length;
  // Shares of the overall progress: downloads are slow when there are any; uploads are a copy.
  const share = downloads > 0 ? { download: 0.15, render: 0.75 } : { download: 0, render: 0.9 };
  const uploadFrom = share.download + share.render;

  if (downloads > 0) context.progress(0, RENDER_STAGES.downloading);
  const sources = await prepareSources(spec.sources, {
    scratchDir: context.scratchDir,
    signal,
    onDownloadProgress: (f) => context.progress(share.download * f, RENDER_STAGES.downloading),
    log: context.log,
  });

  const sourcesReadyAt = Date.now();
  context.progress(share.download, RENDER_STAGES.running);
  // Beside the store's objects when the node shares their disk: outputs go in place by a rename.
  const local = spec.localWorkDir !== undefined && spec.outputs.every((o) => o.path !== undefined);
  const workDir = local
    ? await fs
        .mkdir(spec.localWorkDir!, { recursive: true })
        .then(() => fs.mkdtemp(path.join(spec.localWorkDir!, 'render-')))
        .catch((error: Error) => {
          context.log(`warning: outputs go by upload: ${spec.localWorkDir} cannot be used (${error.message})`);
          return undefined;
        })
    : undefined;
  try {
    return await renderAndDeliver(context, timeline, sources, workDir ?? path.join(context.scratchDir, 'render'), workDir !== undefined, {
      share,
      uploadFrom,
      sourcesReadyAt,
    });
  } finally {
    if (workDir) await fs.rm(workDir, { recursive: true, force: true });
  }
}

async function renderAndDeliver(
  context: TaskContext<RenderTaskSpec>,
  timeline: XtlDocument,
  sources: Map<string, ResolvedSource>,
  workDir: string,
  inPlace: boolean,
  at: { share: { download: number; render: number }; uploadFrom: number; sourcesReadyAt: number },
): Promise<RenderTaskResult> {
  const { spec, gpu } = context.order;
  const { signal } = context;
  const { share, uploadFrom } = at;
  if (gpu) context.log('GPU encoding asked for: NVENC where the codec allows, software otherwise');
  let rendered;
  try {
    rendered = await renderTimeline({
      timeline,
      resolveSource: sourceFromWorkOrder(sources),
      workDir,
      gpu,
      signal,
      onProgress: (f) => context.progress(share.download + share.render * f, RENDER_STAGES.running),
      log: taskLog(context.log),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof RenderError) throw renderFailure(error, sources);
    throw error;
  }

  const renderedAt = Date.now();
  const { toolsMs, nodeMs } = cpuTime();
  context.progress(uploadFrom, RENDER_STAGES.uploading);
  const files = rendered.outputs.map((output) => {
    const outputSpec = spec.outputs.find((o) => o.groupIndex === output.groupIndex);
    if (!outputSpec) throw new TaskFailure({ type: 'engine_error', code: 'bad_timeline', message: `no upload URL for group ${output.groupIndex}` });
    return { spec: outputSpec, path: output.path, sizeBytes: output.sizeBytes };
  });
  await deliverOutputs(files, {
    signal,
    inPlace,
    onProgress: (f) => context.progress(uploadFrom + (1 - uploadFrom) * f, RENDER_STAGES.uploading),
    log: context.log,
  });
  context.progress(1, RENDER_STAGES.uploading);
  const deliveredAt = Date.now();
  const startedAt = context.startedAtMs ?? at.sourcesReadyAt;

  return {
    outputs: rendered.outputs.map((output) => {
      const settings = rendered.plans.find((p) => p.groupIndex === output.groupIndex)!.settings;
      return {
        groupIndex: output.groupIndex,
        sizeBytes: output.sizeBytes,
        durationHns: output.durationHns,
        width: settings.hasVideo ? settings.width : 0,
        height: settings.hasVideo ? settings.height : 0,
        hasVideo: settings.hasVideo,
        strategy: output.strategy,
      };
    }),
    timings: {
      nodeStartedAt: startedAt,
      assignedAt: context.assignedAtMs ?? startedAt,
      workOrderAt: context.workOrderAtMs ?? startedAt,
      sourcesReadyAt: at.sourcesReadyAt,
      renderedAt,
      deliveredAt,
      ...rendered.timings,
      cpu: { toolsMs, nodeMs },
    },
  };
}

function parse(spec: RenderTaskSpec): XtlDocument {
  let timeline: XtlDocument;
  try {
    timeline = parseXtl(spec.xtl);
  } catch (error) {
    if (error instanceof XtlError) throw new TaskFailure({ type: 'engine_error', code: 'bad_timeline', message: error.message });
    throw error;
  }
  if (timeline.groups.length !== spec.outputs.length) {
    throw new TaskFailure({
      type: 'engine_error',
      code: 'bad_timeline',
      message: `the timeline has ${timeline.groups.length} groups but the work order ${spec.outputs.length} outputs`,
    });
  }
  return timeline;
}

/** The engine's decisions (strategy per group, GPU fallbacks) as lines of the task's log. */
function taskLog(log: (line: string) => void): RenderLog {
  return {
    info: (_fields, message) => log(message),
    warn: (_fields, message) => log(`warning: ${message}`),
  };
}
