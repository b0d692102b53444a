/**
 * The editor API's resumable upload, from the client's side: `PUT /api/upload/media?id=` with
 * `Content-Range: bytes a-b/total`; the answer's `Range: bytes=0-N` is the truth about what the
 * server holds (206 while incomplete, 200 when complete). After a dropped connection or a 5xx the
 * client asks the state (`Content-Range: bytes *\/total`, empty body) and goes on from there, so
 * it resumes after a network blip and, with the session id kept, after a reload. Chunks grow
 * while they go quickly and shrink after a failure.
 */

export interface UploadTransport {
  /** Base URL of the API ('' in the console). */
  baseUrl: string;
  /** The upload route: media (the default), or a project import (`/api/upload/project`), which speaks the same protocol. */
  endpoint?: '/api/upload/media' | '/api/upload/project';
  token: () => string;
  fetch?: typeof fetch;
}

export interface UploadOptions {
  initialChunkBytes?: number;
  minChunkBytes?: number;
  maxChunkBytes?: number;
  /** A chunk that took less than this lets the next one double. */
  fastChunkMs?: number;
  /** Failed requests in a row before the upload gives up (it can be started again). */
  maxRetries?: number;
  onProgress?: (receivedBytes: number, totalBytes: number) => void;
  /** A request failed and will be retried after `delayMs`. */
  onRetry?: (error: Error, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export class UploadFailed extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'UploadFailed';
  }
}

/** Bytes the server holds from byte 0, from a `Range: bytes=0-N` header (none: nothing yet). */
export function receivedFromRange(header: string | null): number {
  const match = header ? /^bytes=0-(\d+)$/.exec(header.trim()) : null;
  return match ? Number(match[1]) + 1 : 0;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ResumableUpload {
  receivedBytes = 0;
  complete = false;
  private chunkBytes: number;
  private readonly options: Required<Omit<UploadOptions, 'onProgress' | 'onRetry'>> & Pick<UploadOptions, 'onProgress' | 'onRetry'>;

  constructor(
    readonly file: Blob,
    readonly mediaId: string,
    private readonly transport: UploadTransport,
    options: UploadOptions = {},
  ) {
    this.options = {
      initialChunkBytes: 256 * 1024,
      minChunkBytes: 64 * 1024,
      maxChunkBytes: 8 * 1024 * 1024,
      fastChunkMs: 1500,
      maxRetries: 8,
      sleep: defaultSleep,
      ...options,
    };
    this.chunkBytes = this.options.initialChunkBytes;
  }

  /** Asks the server what it holds; answers the bytes received from byte 0. */
  async queryState(signal?: AbortSignal): Promise<number> {
    const response = await this.put(new Uint8Array(0), `bytes */${this.file.size}`, signal);
    return this.record(response);
  }

  /** Sends what the server lacks, until it answers 200. Rejects with `UploadFailed`, or the abort reason. */
  async run(signal?: AbortSignal): Promise<void> {
    let failures = 0;
    // A new session holds nothing; a resumed one was asked already (queryState) by whoever resumes it.
    let mustAsk = false;
    while (!this.complete) {
      signal?.throwIfAborted();
      try {
        if (mustAsk) {
          await this.queryState(signal);
          mustAsk = false;
          if (this.complete) break;
        }
        const start = this.receivedBytes;
        const end = Math.min(this.file.size, start + this.chunkBytes) - 1;
        const startedMs = Date.now();
        const response = await this.put(this.file.slice(start, end + 1), `bytes ${start}-${end}/${this.file.size}`, signal);
        this.record(response);
        failures = 0;
        if (Date.now() - startedMs < this.options.fastChunkMs) this.chunkBytes = Math.min(this.options.maxChunkBytes, this.chunkBytes * 2);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof UploadFailed && !error.retryable) throw error;
        failures += 1;
        if (failures > this.options.maxRetries) {
          throw new UploadFailed(`the upload stopped after ${failures} failed requests: ${(error as Error).message}`, undefined, true);
        }
        this.chunkBytes = Math.max(this.options.minChunkBytes, Math.floor(this.chunkBytes / 2));
        const delayMs = Math.min(10_000, 300 * 2 ** (failures - 1));
        this.options.onRetry?.(error as Error, delayMs);
        await this.options.sleep(delayMs);
        // The server may have kept less (or more) than we think: ask before sending again.
        mustAsk = true;
      }
    }
  }

  private async put(body: Blob | Uint8Array, contentRange: string, signal?: AbortSignal): Promise<Response> {
    const doFetch = this.transport.fetch ?? fetch;
    const endpoint = this.transport.endpoint ?? '/api/upload/media';
    const response = await doFetch(`${this.transport.baseUrl}${endpoint}?id=${encodeURIComponent(this.mediaId)}`, {
      method: 'PUT',
      headers: { Authorization: this.transport.token(), 'Content-Type': 'application/octet-stream', 'Content-Range': contentRange },
      body: body as BodyInit,
      signal: signal ?? null,
    });
    if (response.status === 200 || response.status === 206) return response;
    let message = `the server answered ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not JSON: keep the status.
    }
    throw new UploadFailed(message, response.status, response.status >= 500 || response.status === 408 || response.status === 429);
  }

  private record(response: Response): number {
    if (response.status === 200) {
      this.complete = true;
      this.receivedBytes = this.file.size;
    } else {
      this.receivedBytes = receivedFromRange(response.headers.get('Range'));
    }
    this.options.onProgress?.(this.receivedBytes, this.file.size);
    return this.receivedBytes;
  }
}
