import fs from 'node:fs/promises';
import path from 'node:path';
import { redact, TransferError, uploadFile } from '../net/transfer.js';
import { TaskFailure } from '../worker/task-handler.js';
import type { RenderOutputSpec } from './render-spec.js';

/**
 * Uploads each rendered output through the URLs of the work order: into the media library's
 * store (always), and into the developer's bucket when one is set. Progress is by bytes over all
 * the uploads. Failures are `upload_error`s naming where the upload went and what it answered.
 */

export interface OutputFile {
  spec: RenderOutputSpec;
  path: string;
  sizeBytes: number;
}

export async function deliverOutputs(
  outputs: OutputFile[],
  options: { signal: AbortSignal; onProgress(fraction: number): void; log(line: string): void; inPlace?: boolean },
): Promise<void> {
  if (options.inPlace) {
    for (const output of outputs) {
      const startedMs = Date.now();
      const { maxBytes } = output.spec;
      if (maxBytes !== undefined && output.sizeBytes > maxBytes) {
        // What the signed PUT answers (413): the same output is refused again on another attempt.
        const message = `output ${output.spec.groupIndex} could not be put in the media store: its ${output.sizeBytes} bytes are over the ${maxBytes} bytes a file may have`;
        throw new TaskFailure({ type: 'upload_error', code: 'exceeded_file_size', message }, false);
      }
      output.path = await putInPlace(output);
      options.log(`output ${output.spec.groupIndex}: ${output.sizeBytes} bytes put in the media store in ${Date.now() - startedMs} ms`);
    }
  }
  const uploads = outputs.flatMap((output) => [
    ...(options.inPlace ? [] : [{ output, url: output.spec.putUrl, target: 'store' as const }]),
    ...(output.spec.bucketPutUrl ? [{ output, url: output.spec.bucketPutUrl, target: 'bucket' as const }] : []),
  ]);
  const totalBytes = uploads.reduce((sum, u) => sum + u.output.sizeBytes, 0) || 1;
  let doneBytes = 0;
  for (const upload of uploads) {
    const startedMs = Date.now();
    try {
      await uploadFile(upload.url, upload.output.path, {
        contentType: upload.output.spec.contentType,
        signal: options.signal,
        onProgress: (sent) => options.onProgress((doneBytes + sent) / totalBytes),
      });
    } catch (error) {
      if (options.signal.aborted) throw error;
      throw uploadFailure(upload.target, upload.url, upload.output.spec.groupIndex, error);
    }
    doneBytes += upload.output.sizeBytes;
    options.onProgress(doneBytes / totalBytes);
    options.log(
      `output ${upload.output.spec.groupIndex}: ${upload.output.sizeBytes} bytes uploaded to ${upload.target === 'bucket' ? "the developer's bucket" : 'the media store'} in ${Date.now() - startedMs} ms`,
    );
  }
}

/**
 * An output rendered beside the store's files goes to its object's path by a rename, after its
 * bytes are on disk (as the store's own writes are); across filesystems, by a copy.
 */
async function putInPlace(output: OutputFile): Promise<string> {
  const target = output.spec.path!;
  try {
    const handle = await fs.open(output.path, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.rename(output.path, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      const partial = `${target}.${process.pid}.partial`;
      await fs.copyFile(output.path, partial);
      await fs.rename(partial, target);
    }
    return target;
  } catch (error) {
    const message = `output ${output.spec.groupIndex} could not be put in the media store: ${(error as Error).message}`;
    throw new TaskFailure({ type: 'upload_error', code: 'store_failed', message }, true);
  }
}

function uploadFailure(target: 'store' | 'bucket', url: string, groupIndex: number, error: unknown): TaskFailure {
  const where = target === 'bucket' ? `the developer's output bucket (${redact(url)})` : 'the media store';
  const status = error instanceof TransferError ? error.status : undefined;
  const message = `output ${groupIndex} could not be uploaded to ${where}: ${describe(error)}`;
  if (target === 'store') {
    // Our own store refusing the size will refuse it again; anything else may pass next time.
    const tooLarge = status === 413;
    return new TaskFailure({ type: 'upload_error', code: tooLarge ? 'exceeded_file_size' : 'store_failed', message }, !tooLarge);
  }
  // A bucket that is gone or refuses the keys stays so; a 5xx or a dropped connection may not.
  return new TaskFailure({ type: 'upload_error', code: 'bucket_upload_failed', message }, status === undefined || status >= 500);
}

/** S3 answers errors as XML: keep its code and message rather than the whole document. */
function describe(error: unknown): string {
  const text = (error as Error)?.message ?? String(error);
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const detail = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (!code) return text;
  const status = /answered (\d{3})/.exec(text)?.[1];
  return `${status ? `${status} ` : ''}${code}${detail ? `: ${detail}` : ''}`;
}
