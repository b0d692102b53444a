import { z } from 'zod';

/**
 * The developer's `fetchFileUrl`: `GET fetchFileUrl/<fileId>` with `Authorization:
 * <apiAuthToken>` answers the editor API's dev_media_file_entry_object. The backend calls it when a
 * render names a media id it does not hold; what it answers is checked before anything is
 * made of it (the `previewUrl` is what a render node will download).
 */

const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');
const count = z.number().finite().nonnegative();

/** Required: what a render needs (previewUrl, mediaType); the rest is checked when present. */
export const devMediaFileEntrySchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  previewUrl: httpUrl,
  name: z.string().optional(),
  filetype: z.string().optional(),
  mediaType: z.enum(['video', 'audio', 'image']),
  duration: count.optional().describe('100 ns units'),
  size: count.optional(),
  width: count.optional(),
  height: count.optional(),
  thumbnail: z.string().nullable().optional(),
  audioTracks: z.array(z.string()).nullable().optional(),
});
export type DevMediaFileEntry = z.infer<typeof devMediaFileEntrySchema>;

/** Why a developer file could not be had: the developer does not know it, or its server failed. */
export class DeveloperMediaError extends Error {
  constructor(
    readonly reason: 'not_found' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'DeveloperMediaError';
  }
}

/** The answer is a small JSON object (a PNG thumbnail at most): refuse anything much larger. */
const MAX_ANSWER_BYTES = 8 * 2 ** 20;

export function fetchFileRequestUrl(fetchFileUrl: string, fileId: string): string {
  const url = new URL(fetchFileUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(fileId)}`;
  return url.toString();
}

export async function fetchDeveloperFile(fetchFileUrl: string, fileId: string, apiAuthToken: string | null, timeoutMs: number): Promise<DevMediaFileEntry> {
  const url = fetchFileRequestUrl(fetchFileUrl, fileId);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...(apiAuthToken !== null ? { authorization: apiAuthToken } : {}) },
      // The whole exchange, body included: a server that trickles cannot hold a submission.
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await readCapped(response);
  } catch (error) {
    const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(error);
    throw new DeveloperMediaError('failed', `the developer's fetchFileUrl could not be read: ${cause}`);
  }
  if (response.status === 404) throw new DeveloperMediaError('not_found', "the developer's fetchFileUrl does not know it (404)");
  if (!response.ok) throw new DeveloperMediaError('failed', `the developer's fetchFileUrl answered ${response.status}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DeveloperMediaError('failed', "the developer's fetchFileUrl answered something that is not JSON");
  }
  const parsed = devMediaFileEntrySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'the answer';
    throw new DeveloperMediaError('failed', `the developer's fetchFileUrl answered an invalid dev_media_file_entry_object: ${field}: ${issue.message}`);
  }
  return parsed.data;
}

async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    throw new Error(`the answer is ${declared} bytes, more than ${MAX_ANSWER_BYTES}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > MAX_ANSWER_BYTES) throw new Error(`the answer is more than ${MAX_ANSWER_BYTES} bytes`);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): string {
  const e = error as Error & { cause?: Error & { code?: string } };
  // fetch hides the reason (refused, reset, too many redirects) in `cause`.
  const cause = e.cause ? `${e.cause.code ? `${e.cause.code} ` : ''}${e.cause.message}` : '';
  return cause || e.message;
}
