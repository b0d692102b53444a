import { useEffect, useState } from 'preact/hooks';
import { ok } from '../../api/client.js';
import type { EditorContext } from '../editor-context.js';
import { ResumableUpload } from '../upload/resumable-upload.js';
import type { EditorFeature } from './registry.js';

interface ImportState {
  id: string;
  name: string;
  stage: string;
  progress: number;
  error: string;
  failed: boolean;
}

/**
 * Imports an edit decision list with its media (a zip) as a project: the zip goes up with the
 * resumable protocol on `/api/upload/project`, then the stages (unpack, import_media, ready) are
 * followed until the project exists; the Projects panel then opens it like any other.
 */
function ProjectImportPanel({ context }: { context: EditorContext }) {
  const [fps, setFps] = useState('25');
  const [createFolder, setCreateFolder] = useState(true);
  const [state, setState] = useState<ImportState | undefined>();
  const [message, setMessage] = useState('');

  useEffect(() => {
    if (!state || state.stage === 'ready' || state.failed || state.stage === 'upload') return;
    const poll = async () => {
      const answer = await ok(context.api.GET('/api/upload/project', { params: { query: { id: state.id } } })).catch(() => undefined);
      if (!answer) return;
      setState((s) => (s ? { ...s, stage: answer.stage, progress: answer.progress, error: answer.error, failed: answer.failed } : s));
      if (answer.stage === 'ready') {
        context.announce(`Project ${state.name} imported`);
        context.refreshLibrary();
      }
    };
    // A failed poll is answered by the next one; nothing to report in between.
    const timer = setInterval(() => void poll(), 1000);
    return () => clearInterval(timer);
  }, [state?.id, state?.stage, state?.failed]);

  async function start(file: File): Promise<void> {
    setMessage('');
    try {
      const created = await ok(context.api.POST('/api/upload/project', { body: { size: file.size, name: file.name, fps: Number(fps), createFolder } }));
      const name = file.name.replace(/\.zip$/i, '');
      setState({ id: created.id, name, stage: 'upload', progress: 0, error: '', failed: false });
      const upload = new ResumableUpload(
        file,
        created.id,
        { baseUrl: '', endpoint: '/api/upload/project', token: () => context.authToken },
        {
          onProgress: (received, total) => setState((s) => (s ? { ...s, progress: Math.floor((received / total) * 100) } : s)),
        },
      );
      await upload.run();
      setState((s) => (s ? { ...s, stage: 'unpack', progress: 0 } : s));
    } catch (error) {
      setMessage(`The import was refused: ${(error as Error).message}`);
    }
  }

  async function cancel(): Promise<void> {
    if (!state) return;
    await ok(context.api.DELETE('/api/upload/project', { params: { query: { id: state.id } } })).catch(() => undefined);
    setState(undefined);
    setMessage('Import cancelled; nothing it made is left.');
  }

  return (
    <div>
      <div class="row">
        <label for="import-fps">Frame rate of the edit list</label>
        <select id="import-fps" value={fps} onChange={(e) => setFps((e.target as HTMLSelectElement).value)}>
          {['23.976', '24', '25', '29.97', '30', '50', '59.94', '60'].map((rate) => (
            <option key={rate} value={rate}>
              {rate}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={createFolder} onChange={(e) => setCreateFolder((e.target as HTMLInputElement).checked)} /> media into a folder of
          their own
        </label>
      </div>
      <div class="row">
        <label for="import-zip">Project zip (EDL, OTIO or FCP XML with its media)</label>
        <input
          id="import-zip"
          type="file"
          accept=".zip,application/zip"
          onChange={(e) => {
            const file = (e.target as HTMLInputElement).files?.[0];
            if (file) void start(file);
            (e.target as HTMLInputElement).value = '';
          }}
        />
      </div>
      {message && <p class="muted">{message}</p>}
      {state && (
        <div data-testid="project-import" data-stage={state.stage} data-failed={String(state.failed)}>
          <div class="row">
            <span>{state.name}</span>
            <progress max={100} value={state.progress} aria-label={`Import of ${state.name}`} />
            <span class="muted">
              {state.failed ? 'failed' : state.stage} {state.progress}%
            </span>
            {state.stage !== 'ready' && !state.failed && (
              <button type="button" class="secondary" onClick={() => void cancel()}>
                Cancel import
              </button>
            )}
          </div>
          {state.error && <p class={state.failed ? 'error' : 'warn'}>{state.error}</p>}
          {state.stage === 'ready' && <p>Imported: open “{state.name}” from the Projects panel.</p>}
        </div>
      )}
    </div>
  );
}

export const projectImportFeature: EditorFeature = {
  id: 'project-import',
  title: 'Import a project',
  requires: ['/api/upload/project'],
  Panel: ProjectImportPanel,
};
