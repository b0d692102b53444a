import fs from 'node:fs/promises';
import path from 'node:path';
import { ffprobe, FfmpegError, mediaInfoFromProbe, type FfprobeResult } from '../ffmpeg/index.js';
import { EditListError } from '../edit-lists/edit-list-error.js';
import { editListFormatOf, readEditList } from '../edit-lists/read-edit-list.js';
import { downloadParts } from '../net/join-parts.js';
import { TransferError, uploadFile } from '../net/transfer.js';
import { TaskFailure, type TaskContext } from '../worker/task-handler.js';
import type { ImportedFileProbe, ProjectImportResult, ProjectImportSpec } from './project-import-spec.js';
import { ZipReader, ZipRefused, type ZipEntryInfo } from './zip-reader.js';

/**
 * `project_import`: unpack a project zip. Join the upload's chunks, check every entry of the zip
 * (one unsafe entry refuses it whole), read its one edit list (parse errors refuse the import
 * before any media moves), then extract each media file, probe it (duration, streams, start
 * timecode) and store it through its slot URL. Everything is bounded: entry count, bytes per
 * file and in all (counted as they come out, not as declared), compression ratio, and time.
 */

/** An edit list larger than this is not one. */
const MAX_EDIT_LIST_BYTES = 16 * 1024 * 1024;

const STAGE_SHARE = { download: 0.2, unpack: 0.8 };

export async function projectImport(context: TaskContext<ProjectImportSpec>): Promise<ProjectImportResult> {
  const spec = context.order.spec;
  const timeout = AbortSignal.timeout(spec.limits.timeoutS * 1000);
  const signal = AbortSignal.any([context.signal, timeout]);
  try {
    return await unpack(context, spec, signal);
  } catch (error) {
    if (timeout.aborted && !context.signal.aborted) {
      throw new TaskFailure({ type: 'engine_error', code: 'import_timeout', message: `unpacking took longer than the ${spec.limits.timeoutS} s allowed` });
    }
    if (error instanceof ZipRefused) throw new TaskFailure({ type: 'engine_error', code: error.code, message: error.message });
    if (error instanceof EditListError) throw new TaskFailure({ type: 'engine_error', code: 'bad_edit_list', message: error.message });
    throw error;
  }
}

async function unpack(context: TaskContext<ProjectImportSpec>, spec: ProjectImportSpec, signal: AbortSignal): Promise<ProjectImportResult> {
  const zipFile = path.join(context.scratchDir, 'project.zip');
  context.progress(0, 'download');
  try {
    const size = await downloadParts(spec.source.parts, zipFile, {
      signal,
      onProgress: (done, count) => context.progress(STAGE_SHARE.download * (done / count), 'download'),
    });
    if (size !== spec.source.sizeBytes) throw new TransferError(`the upload joined to ${size} bytes, not the ${spec.source.sizeBytes} announced`, 'network');
  } catch (error) {
    if (signal.aborted) throw error;
    throw new TaskFailure({ type: 'download_error', code: 'download_failed', message: (error as Error).message }, true);
  }

  context.progress(STAGE_SHARE.download, 'unpack');
  const zip = await ZipReader.open(zipFile, spec.limits);
  try {
    const media: ZipEntryInfo[] = [];
    const editLists: ZipEntryInfo[] = [];
    const ignored: string[] = [];
    for (const entry of zip.entries) {
      const name = path.posix.basename(entry.path);
      const extension = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
      // Finder's resource forks and hidden files are not part of the project.
      if (entry.path.startsWith('__MACOSX/') || name.startsWith('.')) ignored.push(entry.path);
      else if (editListFormatOf(name)) editLists.push(entry);
      else if (spec.mediaExtensions.includes(extension)) media.push(entry);
      else ignored.push(entry.path);
    }
    if (editLists.length === 0) throw new EditListError('the zip holds no edit list (.edl, .otio or Final Cut Pro 7 .xml)');
    if (editLists.length > 1)
      throw new EditListError(`the zip holds ${editLists.length} edit lists (${editLists.map((e) => e.path).join(', ')}); it must hold one`);
    if (media.length > spec.slots.length)
      throw new ZipRefused(`the zip holds ${media.length} media files, more than the ${spec.slots.length} allowed`, 'zip_too_large');

    const listEntry = editLists[0]!;
    const text = await zip.readText(listEntry, path.join(context.scratchDir, 'edit-list'), MAX_EDIT_LIST_BYTES, signal);
    const list = readEditList(path.posix.basename(listEntry.path), text, spec.rate);
    context.log(`${listEntry.path}: ${list.format}, ${list.tracks.reduce((n, t) => n + t.items.length, 0)} items on ${list.tracks.length} tracks`);

    const totalBytes = Math.max(
      1,
      media.reduce((n, e) => n + e.declaredBytes, 0),
    );
    let doneBytes = 0;
    const report = () => context.progress(STAGE_SHARE.download + STAGE_SHARE.unpack * Math.min(1, doneBytes / totalBytes), 'unpack');
    const result: ProjectImportResult = { editList: { path: listEntry.path, list }, media: [], unreadable: [], ignored };
    for (const entry of media) {
      const file = path.join(context.scratchDir, 'media');
      const before = doneBytes;
      // Extracting is the first half of a file's share of the progress, storing it the second.
      const sizeBytes = await zip.extract(entry, file, {
        signal,
        onBytes: (bytes) => {
          doneBytes += bytes / 2;
          report();
        },
      });
      const probe = await probeFile(file, signal);
      if ('reason' in probe) {
        result.unreadable.push({ path: entry.path, reason: probe.reason });
        context.log(`${entry.path}: not imported (${probe.reason})`);
      } else {
        const slot = result.media.length;
        const extracted = doneBytes;
        await uploadFile(spec.slots[slot]!, file, {
          signal,
          onProgress: (sent) => {
            doneBytes = extracted + sent / 2;
            report();
          },
        }).catch((error: unknown) => {
          if (signal.aborted) throw error;
          throw new TaskFailure({ type: 'upload_error', code: 'store_failed', message: (error as Error).message }, true);
        });
        result.media.push({ path: entry.path, name: path.posix.basename(entry.path), slot, sizeBytes, probe });
      }
      doneBytes = before + entry.declaredBytes;
      report();
      await fs.rm(file, { force: true });
    }
    context.progress(1, 'unpack');
    return result;
  } finally {
    zip.close();
  }
}

async function probeFile(file: string, signal: AbortSignal): Promise<ImportedFileProbe | { reason: string }> {
  let probe: FfprobeResult;
  try {
    probe = await ffprobe(file, { signal });
  } catch (error) {
    if (error instanceof FfmpegError) return { reason: `not a media file we can read (${error.stderrTail.trim().split('\n').pop() || error.message})` };
    throw error;
  }
  let info;
  try {
    info = mediaInfoFromProbe(probe);
  } catch (error) {
    return { reason: (error as Error).message };
  }
  if (!info.hasVideo && !info.hasAudio) return { reason: 'it holds neither picture nor sound' };
  const startTimecode = timecodeOf(probe);
  return {
    durationHns: info.durationHns ?? 0,
    hasVideo: info.hasVideo,
    hasAudio: info.hasAudio,
    still: info.kind === 'image',
    ...(startTimecode ? { startTimecode } : {}),
    ...(info.frameRate ? { frameRate: info.frameRate } : {}),
  };
}

/** The file's start timecode: on its picture stream, a timecode (tmcd) stream, or the container. */
function timecodeOf(probe: FfprobeResult): string | undefined {
  const ordered = [...probe.streams.filter((s) => s.codec_type === 'video'), ...probe.streams.filter((s) => s.codec_type !== 'video')];
  for (const stream of ordered) if (stream.tags?.timecode) return stream.tags.timecode;
  return probe.format.tags?.timecode;
}
