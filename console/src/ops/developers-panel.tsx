import { ok } from '../api/client.js';
import type { OpsContext } from './ops-app.js';
import { usePoll } from './use-poll.js';

/** Developer accounts and their settings (secrets masked, as the admin API answers them). */
export function DevelopersPanel({ context }: { context: OpsContext }) {
  const { value, error } = usePoll(() => ok(context.api.GET('/api/developers')), 10_000, context.version);
  return (
    <section class="panel wide" aria-labelledby="developers-title">
      <h2 id="developers-title">Developers</h2>
      {error && <p class="error">{error}</p>}
      {value?.entries.length === 0 && <p class="muted">No developer accounts (create them with `cutroom developers create` or POST /api/developers).</p>}
      {value && value.entries.length > 0 && (
        <table data-testid="developers">
          <caption class="sr-only">Developer accounts</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">apiKey</th>
              <th scope="col">callBackUrl</th>
              <th scope="col">Custom media URLs</th>
              <th scope="col">Output bucket</th>
            </tr>
          </thead>
          <tbody>
            {value.entries.map((developer) => (
              <tr key={developer.id}>
                <td>
                  {developer.name}
                  <div class="muted">
                    <code>{developer.id}</code>
                  </div>
                </td>
                <td>
                  <code>{developer.apiKeyPrefix}…</code>
                </td>
                <td>{developer.callBackUrl ?? '—'}</td>
                <td>
                  {[developer.fetchFileUrl, developer.mediaTabContentUrl, developer.fetchThumbnailUrl].filter(Boolean).map((url) => (
                    <div key={url}>{url}</div>
                  ))}
                </td>
                <td>
                  {developer.outputS3Bucket
                    ? `${developer.outputS3Bucket.awsBucketName}${developer.outputS3Bucket.awsEndPoint ? ` at ${developer.outputS3Bucket.awsEndPoint}` : ''}`
                    : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
