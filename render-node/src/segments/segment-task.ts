import fs from 'node:fs/promises';
import path from 'node:path';
import { muxerArgs } from '../engine/encoder-args.js';
import { fullRender } from '../engine/full-render.js';
import { RenderError } from '../engine/render-error.js';
import type { RenderLog } from '../engine/render-log.js';
import { renderTimeline } from '../engine/render-timeline.js';
import { runFfmpeg } from '../ffmpeg/run-ffmpeg.js';
import { downloadToFile, redact, TransferError, uploadFile } from '../net/transfer.js';
import { deliverOutputs } from '../render-task/deliver-outputs.js';
import { prepareSources, sourceFromWorkOrder } from '../render-task/prepare-sources.js';
import { renderFailure } from '../render-task/render-failure.js';
import { RENDER_STAGES, type RenderTaskResult } from '../render-task/render-spec.js';
import { TaskFailure, type TaskContext } from '../worker/task-handler.js';
import { parseXtl } from '../xtl/parse-xtl.js';
import { XtlError } from '../xtl/xtl-error.js';
import type { XtlDocument } from '../xtl/model.js';
import { CONTAINER_EXTENSIONS } from '../engine/output-settings.js';
import { audioContainerFor, sliceGroup, soundOfGroup } from './segment-plan.js';
import type { JoinTaskSpec, SegmentTaskResult, SegmentTaskSpec } from './segment-spec.js';

/** One part of a segmented render: rendered with the whole output's settings, then stored. */
export async function renderSegment(context: TaskContext<SegmentTaskSpec>): Promise<SegmentTaskResult> {
  const { spec, gpu } = context.order;
  const { segment } = spec;
  const { signal } = context;
  const doc = parse(spec.xtl);
  const group = doc.groups[segment.groupIndex];
  if (!group) throw new TaskFailure({ type: 'engine_error', code: 'bad_timeline', message: `the timeline has no group ${segment.groupIndex}` });
  const downloads = Object.values(spec.sources).some((s) => s.kind === 'download');
  const share = downloads ? { download: 0.15, render: 0.75 } : { download: 0, render: 0.9 };
  if (downloads) context.progress(0, RENDER_STAGES.downloading);
  const sources = await prepareSources(spec.sources, {
    scratchDir: context.scratchDir,
    signal,
    onDownloadProgress: (f) => context.progress(share.download * f, RENDER_STAGES.downloading),
    log: context.log,
  });
  context.progress(share.download, RENDER_STAGES.running);
  const part =
    segment.part === 'picture'
      ? sliceGroup(group, segment.window ?? { startFrame: 0, endFrame: 0 }, sources, segment.settings)
      : soundOfGroup(group, segment.settings);
  const timeline: XtlDocument = { ...doc, groups: [{ ...part, index: 0 }] };
  const what = segment.part === 'picture' ? `frames ${segment.window!.startFrame} to ${segment.window!.endFrame - 1}` : 'the sound of the whole timeline';
  context.log(`segment: rendering ${what}`);
  let rendered;
  try {
    rendered = await renderTimeline({
      timeline,
      resolveSource: sourceFromWorkOrder(sources),
      workDir: path.join(context.scratchDir, 'render'),
      // Only the full render gives frames that join exactly: every part is its own encode.
      strategies: [fullRender],
      gpu: gpu && segment.part === 'picture',
      signal,
      onProgress: (f) => context.progress(share.download + share.render * f, RENDER_STAGES.running),
      log: taskLog(context.log),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof RenderError) throw renderFailure(error, sources);
    throw error;
  }
  const output = rendered.outputs[0]!;
  context.progress(share.download + share.render, RENDER_STAGES.uploading);
  try {
    await uploadFile(segment.putUrl, output.path, {
      contentType: segment.contentType,
      signal,
      onProgress: (sent, total) =>
        context.progress(share.download + share.render + (1 - share.download - share.render) * (sent / Math.max(1, total)), RENDER_STAGES.uploading),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new TaskFailure({ type: 'upload_error', code: 'store_failed', message: `the segment could not be stored: ${(error as Error).message}` }, true, {
      cause: error,
    });
  }
  context.progress(1, RENDER_STAGES.uploading);
  const frames = segment.part === 'picture' ? segment.window!.endFrame - segment.window!.startFrame : 0;
  return { part: segment.part, sizeBytes: output.sizeBytes, frames };
}

/**
 * The end of a segmented render: the parts come down, the pictures are joined by the concat
 * demuxer and muxed with the sound, all by stream copy, and the output goes up as a whole
 * render's does. Progress runs from 0.9 (the parts are the first nine tenths) to 1.
 */
export async function joinSegments(context: TaskContext<JoinTaskSpec>): Promise<RenderTaskResult> {
  const { spec } = context.order;
  const { join } = spec;
  const { signal } = context;
  const at = (f: number) => 0.9 + 0.1 * f;
  context.progress(at(0), RENDER_STAGES.running);
  const dir = path.join(context.scratchDir, 'join');
  await fs.mkdir(dir, { recursive: true });
  const extension = CONTAINER_EXTENSIONS[join.settings.container];
  const parts = join.pictures.map((url, i) => ({ url, file: `picture-${i}.${extension}` }));
  const sound = join.sound ? { url: join.sound, file: `sound.${CONTAINER_EXTENSIONS[audioContainerFor(join.settings)]}` } : undefined;
  const all = sound ? [...parts, sound] : parts;
  // A few at a time: the parts are independent objects of the store.
  let fetched = 0;
  const queue = [...all];
  await Promise.all(
    Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          await downloadToFile(next.url, path.join(dir, next.file), { signal, timeoutMs: 60_000 });
        } catch (error) {
          if (signal.aborted) throw error;
          const status = error instanceof TransferError ? ` (${error.status ?? 'no answer'})` : '';
          throw new TaskFailure(
            {
              type: 'engine_error',
              code: 'output_failed',
              message: `a segment could not be read from ${redact(next.url)}${status}: ${(error as Error).message}`,
            },
            true,
            { cause: error },
          );
        }
        fetched++;
        context.progress(at((0.4 * fetched) / all.length), RENDER_STAGES.running);
      }
    }),
  );
  const list = path.join(dir, 'pictures.ffconcat');
  await fs.writeFile(list, `ffconcat version 1.0\n${parts.map((p) => `file '${p.file}'\n`).join('')}`);
  const outputFile = path.join(dir, `output.${extension}`);
  const settings = join.settings;
  const args = [
    '-f',
    'concat',
    '-safe',
    '1',
    '-i',
    list,
    ...(sound ? ['-i', path.join(dir, sound.file)] : []),
    '-map',
    '0:v:0',
    ...(sound ? ['-map', '1:a:0'] : []),
    '-c',
    'copy',
    ...(settings.videoCodec === 'hevc' ? ['-tag:v', 'hvc1'] : []),
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    ...muxerArgs(settings),
    '-y',
    outputFile,
  ];
  const startedMs = Date.now();
  try {
    await runFfmpeg({
      args,
      signal,
      expectedDurationS: settings.durationHns / 1e7,
      onProgress: (p) => context.progress(at(0.4 + 0.3 * (p.fraction ?? 0)), RENDER_STAGES.running),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new TaskFailure({ type: 'engine_error', code: 'encode_failed', message: `the segments could not be joined: ${(error as Error).message}` }, false, {
      cause: error,
    });
  }
  const { size } = await fs.stat(outputFile);
  context.log(`join: ${parts.length} picture segments${sound ? ' and the sound' : ''} copied into the output in ${Date.now() - startedMs} ms`);
  context.progress(at(0.7), RENDER_STAGES.uploading);
  const output = spec.outputs.find((o) => o.groupIndex === join.groupIndex);
  if (!output) throw new TaskFailure({ type: 'engine_error', code: 'bad_timeline', message: `no upload URL for group ${join.groupIndex}` });
  await deliverOutputs([{ spec: output, path: outputFile, sizeBytes: size }], {
    signal,
    onProgress: (f) => context.progress(at(0.7 + 0.3 * f), RENDER_STAGES.uploading),
    log: context.log,
  });
  context.progress(1, RENDER_STAGES.uploading);
  return {
    outputs: [
      {
        groupIndex: join.groupIndex,
        sizeBytes: size,
        durationHns: settings.durationHns,
        width: settings.width,
        height: settings.height,
        hasVideo: true,
        strategy: `segmented (${parts.length} segments)`,
      },
    ],
  };
}

function parse(xtl: string): XtlDocument {
  try {
    return parseXtl(xtl);
  } catch (error) {
    if (error instanceof XtlError) throw new TaskFailure({ type: 'engine_error', code: 'bad_timeline', message: error.message });
    throw error;
  }
}

function taskLog(log: (line: string) => void): RenderLog {
  return {
    info: (_fields, message) => log(message),
    warn: (_fields, message) => log(`warning: ${message}`),
  };
}
