import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ok } from '../../api/client.js';
import { formatBytes } from '../../shared/time-format.js';
import type { EditorContext } from '../editor-context.js';
import { ResumableUpload, UploadFailed } from './resumable-upload.js';
import { UploadMemory, type RememberedUpload } from './upload-memory.js';

/**
 * Drag and drop (or pick) several files at once: each gets an upload session and a progress
 * bar, and goes up in chunks. A dropped connection is retried from what the server holds; after
 * a reload, unfinished uploads are listed, and picking the same file again resumes it.
 */

interface UploadRow {
  mediaId: string;
  name: string;
  size: number;
  received: number;
  state: 'uploading' | 'retrying' | 'done' | 'failed' | 'stopped';
  message: string;
  resumedFrom: number | undefined;
  controller: AbortController;
}

export function UploadPanel({ context }: { context: EditorContext }) {
  const memory = useMemo(() => new UploadMemory(localStorage, context.userId), [context.userId]);
  const [rows, setRows] = useState<UploadRow[]>([]);
  const [unfinished, setUnfinished] = useState<RememberedUpload[]>(() => memory.list());
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const update = (mediaId: string, change: Partial<UploadRow>) => setRows((all) => all.map((row) => (row.mediaId === mediaId ? { ...row, ...change } : row)));

  useEffect(() => () => rows.forEach((row) => row.controller.abort()), []);

  async function start(file: File): Promise<void> {
    const remembered = memory.find(file);
    let mediaId = remembered?.mediaId;
    if (!mediaId) {
      const created = await context.api.POST('/api/upload/media', { body: { size: file.size, name: file.name } });
      if (!created.response.ok || !created.data) {
        const message = (created.error as { error?: { message?: string } } | undefined)?.error?.message ?? `answered ${created.response.status}`;
        context.announce(`${file.name} was refused: ${message}`);
        setRows((all) => [
          ...all,
          {
            mediaId: `refused-${file.name}-${Date.now()}`,
            name: file.name,
            size: file.size,
            received: 0,
            state: 'failed',
            message,
            resumedFrom: undefined,
            controller: new AbortController(),
          },
        ]);
        return;
      }
      mediaId = created.data.id;
      memory.remember({ mediaId, name: file.name, size: file.size, lastModified: file.lastModified, folder: null, startedAtMs: Date.now(), receivedBytes: 0 });
      context.refreshLibrary();
    }
    const id = mediaId;
    const controller = new AbortController();
    setRows((all) => [
      ...all.filter((row) => row.mediaId !== id),
      { mediaId: id, name: file.name, size: file.size, received: 0, state: 'uploading', message: '', resumedFrom: undefined, controller },
    ]);
    const upload = new ResumableUpload(
      file,
      id,
      { baseUrl: '', token: () => context.authToken },
      {
        onProgress: (received) => {
          memory.update(id, received);
          update(id, { received, state: 'uploading', message: '' });
        },
        onRetry: (error, delayMs) => update(id, { state: 'retrying', message: `${error.message}; trying again in ${(delayMs / 1000).toFixed(1)} s` }),
      },
    );
    try {
      if (remembered) {
        const held = await upload.queryState(controller.signal);
        update(id, { resumedFrom: held });
      }
      await upload.run(controller.signal);
      memory.forget(id);
      setUnfinished(memory.list());
      update(id, { state: 'done', received: file.size, message: 'uploaded; the library shows its ingest' });
      context.announce(`${file.name} uploaded`);
      context.refreshLibrary();
    } catch (error) {
      if (controller.signal.aborted) {
        update(id, { state: 'stopped', message: 'stopped; pick the file again to resume' });
        return;
      }
      const gone = error instanceof UploadFailed && error.status === 404;
      if (gone) memory.forget(id);
      update(id, { state: 'failed', message: gone ? 'the upload session has expired; pick the file again' : (error as Error).message });
    }
    setUnfinished(memory.list());
  }

  function addFiles(files: FileList | null | undefined): void {
    for (const file of files ? [...files] : []) void start(file);
  }

  async function discard(upload: RememberedUpload): Promise<void> {
    memory.forget(upload.mediaId);
    setUnfinished(memory.list());
    await ok(context.api.DELETE('/api/mediafiles/{id}', { params: { path: { id: upload.mediaId }, query: { force: '1' } } })).catch(() => undefined);
    context.refreshLibrary();
  }

  const running = new Set(rows.map((row) => row.mediaId));
  const waiting = unfinished.filter((u) => !running.has(u.mediaId));

  return (
    <div>
      <div
        class={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          addFiles(event.dataTransfer?.files);
        }}
      >
        <p>Drop media files here, or</p>
        <label class="row" style={{ justifyContent: 'center' }}>
          <span>Choose files to upload</span>
          <input
            ref={input}
            type="file"
            multiple
            accept="video/*,audio/*,image/*,.mxf,.mov,.mkv"
            onChange={(event) => {
              addFiles((event.target as HTMLInputElement).files);
              (event.target as HTMLInputElement).value = '';
            }}
          />
        </label>
      </div>
      {waiting.length > 0 && (
        <div role="region" aria-label="Unfinished uploads">
          <h3>Unfinished uploads</h3>
          <p class="muted">Choose the same file again to resume it where it stopped.</p>
          <ul>
            {waiting.map((u) => (
              <li key={u.mediaId} data-testid="unfinished-upload">
                {u.name} — {formatBytes(u.receivedBytes)} of {formatBytes(u.size)}{' '}
                <button class="secondary" type="button" onClick={() => void discard(u)} aria-label={`Discard the upload of ${u.name}`}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {rows.length > 0 && (
        <ul aria-label="Uploads" style={{ listStyle: 'none', padding: 0 }}>
          {rows.map((row) => (
            <li key={row.mediaId} class="row" data-testid="upload-row" data-state={row.state}>
              <span>{row.name}</span>
              <progress max={row.size || 1} value={row.received} aria-label={`Upload of ${row.name}`} />
              <span class="muted">
                {formatBytes(row.received)} / {formatBytes(row.size)}
                {row.resumedFrom !== undefined && ` (resumed at ${formatBytes(row.resumedFrom)})`}
              </span>
              <span class={row.state === 'failed' ? 'error' : row.state === 'retrying' ? 'warn' : 'muted'}>{row.message}</span>
              {(row.state === 'uploading' || row.state === 'retrying') && (
                <button class="secondary" type="button" onClick={() => row.controller.abort()} aria-label={`Stop the upload of ${row.name}`}>
                  Stop
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
