import http from 'node:http';
import type { ApiClient, ApiResponse } from './api-client.js';

/** The editor's side of a resumable upload, with the ways a real client gets it wrong or unlucky. */

export interface ChunkPlan {
  start: number;
  /** Inclusive. */
  end: number;
}

export function chunks(size: number, chunkBytes: number): ChunkPlan[] {
  const plan: ChunkPlan[] = [];
  for (let start = 0; start < size; start += chunkBytes) plan.push({ start, end: Math.min(size, start + chunkBytes) - 1 });
  return plan;
}

export function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export function putChunk(api: ApiClient, id: string, bytes: Buffer, chunk: ChunkPlan): Promise<ApiResponse> {
  return api.request('PUT', `/api/upload/media?id=${id}`, {
    raw: new Uint8Array(bytes.subarray(chunk.start, chunk.end + 1)),
    headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${chunk.start}-${chunk.end}/${bytes.length}` },
  });
}

export function askState(api: ApiClient, id: string, size: number): Promise<ApiResponse> {
  return api.request('PUT', `/api/upload/media?id=${id}`, { raw: '', headers: { 'content-range': `bytes */${size}` } });
}

/** Creates a session and sends every chunk in order; answers the session id and the last answer. */
export async function upload(api: ApiClient, name: string, bytes: Buffer, chunkBytes = 256 * 1024): Promise<{ id: string; last: ApiResponse }> {
  const created = await api.post('/api/upload/media', { size: bytes.length, name });
  if (created.status !== 200) throw new Error(`POST /api/upload/media: ${created.status} ${created.text}`);
  let last: ApiResponse | undefined;
  for (const chunk of chunks(bytes.length, chunkBytes)) last = await putChunk(api, created.body.id, bytes, chunk);
  return { id: created.body.id, last: last! };
}

/** Sends the head of a chunk, then drops the connection, as a client whose network failed. */
export function dropMidChunk(baseUrl: string, token: string, id: string, bytes: Buffer, chunk: ChunkPlan): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(`/api/upload/media?id=${id}`, baseUrl);
    const req = http.request(url, {
      method: 'PUT',
      headers: {
        authorization: token,
        'content-type': 'application/octet-stream',
        'content-length': chunk.end - chunk.start + 1,
        'content-range': `bytes ${chunk.start}-${chunk.end}/${bytes.length}`,
      },
    });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      resolve();
    });
    req.write(bytes.subarray(chunk.start, chunk.start + Math.floor((chunk.end - chunk.start + 1) / 2)));
    setTimeout(() => {
      req.destroy();
      setTimeout(resolve, 200);
    }, 100);
  });
}
