import { useState } from 'preact/hooks';
import { ApiError, ok } from '../../api/client.js';
import type { EditorContext } from '../editor-context.js';

/** `POST /api/import/media/url`: the server downloads the file; the library shows its progress. */
export function UrlImportPanel({ context }: { context: EditorContext }) {
  const [url, setUrl] = useState('');
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    try {
      await ok(context.api.POST('/api/import/media/url', { body: { url } }));
      setMessage(`Importing ${url}`);
      setUrl('');
      context.refreshLibrary();
    } catch (error) {
      setMessage(error instanceof ApiError ? `Refused: ${error.message}` : String(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)} aria-label="Import by URL">
      <h3>Import by URL</h3>
      <div class="row">
        <label for="import-url">Media URL</label>
        <input
          id="import-url"
          type="url"
          required
          placeholder="https://example.com/clip.mp4"
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy || url === ''}>
          Import
        </button>
      </div>
      {message && (
        <p class="muted" role="status">
          {message}
        </p>
      )}
    </form>
  );
}
