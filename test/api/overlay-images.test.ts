import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor, type EditorConnection } from '../support/editor-client.js';
import type { ApiClient } from '../support/api-client.js';

const run = promisify(execFile);

/** An image made by ffmpeg from a lavfi source, in the given codec. */
async function image(codec: 'png' | 'mjpeg', size = '64x32'): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', codec, '-'],
    { encoding: 'buffer', maxBuffer: 64 * 2 ** 20 },
  );
  return stdout;
}

describe('overlay images', () => {
  const pinned = new Set<string>();
  let server: TestServer;
  let editor: EditorConnection;
  let api: ApiClient;
  let png: Buffer;

  beforeAll(async () => {
    png = await image('png');
    server = await startTestServer(
      'postgres',
      // A connected editor's token is refreshed every ping round and outlives it by the grace
      // period: generous enough that a loaded test machine never lets it lapse.
      { TOKEN_GRACE_SECONDS: '3', WS_PING_INTERVAL_MS: '500', OVERLAY_SWEEP_INTERVAL_MS: '100', OVERLAY_MAX_BYTES: '16kb' },
      { overlayPins: { pinned: async () => new Set(pinned) } },
    );
    editor = await connectEditor(server.wsUrl);
    api = server.api(editor.authToken);
  });
  // The server closes the sockets itself first, so no token release races its shutdown.
  afterAll(async () => {
    await server?.destroy();
    await editor?.close();
  });

  const read = (ownerId: string, id: string) => server.controlPlane.services.overlays.read(ownerId, id);

  it('keeps a PNG and answers {status: "", id}; render nodes read the same bytes', async () => {
    const response = await api.post('/api/overlay_img', { data: png.toString('base64') });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: '', id: expect.stringMatching(/^[\w-]{22}$/) });
    expect((await read(editor.userId, response.body.id))?.equals(png)).toBe(true);

    const dataUrl = await api.post('/api/overlay_img', { data: `data:image/png;base64,${png.toString('base64')}` });
    expect(dataUrl.body.status).toBe('');
    expect((await read(editor.userId, dataUrl.body.id))?.equals(png)).toBe(true);

    const stranger = await connectEditor(server.wsUrl);
    expect(await read(stranger.userId, response.body.id)).toBeUndefined();
    await stranger.close();
  });

  it('refuses what is not an acceptable PNG with 400 and a status saying why', async () => {
    const jpeg = await image('mjpeg');
    const corrupt = Buffer.from(png);
    corrupt[corrupt.length - 20] = corrupt[corrupt.length - 20]! ^ 0xff;
    const big = await image('png', '1280x720');
    expect(big.length).toBeGreaterThan(16 * 1024);
    const cases: Array<[unknown, RegExp]> = [
      [jpeg.toString('base64'), /signature/],
      [Buffer.from('hello, not an image').toString('base64'), /signature/],
      [corrupt.toString('base64'), /CRC/],
      [png.subarray(0, png.length - 30).toString('base64'), /complete PNG|runs past/],
      [big.toString('base64'), /larger than 16384 bytes/],
      ['***not base64***', /not valid base64/],
      ['', /base64-encoded PNG/],
      [42, /base64-encoded PNG/],
      [undefined, /base64-encoded PNG/],
    ];
    for (const [data, why] of cases) {
      const response = await api.post('/api/overlay_img', data === undefined ? {} : { data });
      expect(response.status, String(why)).toBe(400);
      expect(response.body.status ?? JSON.stringify(response.body)).toMatch(why);
      expect(response.body.id).toBe('');
      expect(response.body.error.type).toBe('bad_request');
    }
  });

  it('deletes the images of a user gone past the grace period, unless a running render uses them', async () => {
    const leaver = await connectEditor(server.wsUrl);
    const leaverApi = server.api(leaver.authToken);
    const upload = async (client: ApiClient) => (await client.post('/api/overlay_img', { data: png.toString('base64') })).body.id as string;
    const loose = await upload(leaverApi);
    const inRender = await upload(leaverApi);
    const stayerImage = await upload(api);
    pinned.add(inRender);

    await leaver.close();
    // Within the grace period the user may come back: nothing is deleted yet.
    expect(await read(leaver.userId, loose)).toBeDefined();

    await expect.poll(() => read(leaver.userId, loose), { timeout: 20_000, interval: 50 }).toBeUndefined();
    expect(await read(leaver.userId, inRender)).toBeDefined();
    expect(await read(editor.userId, stayerImage)).toBeDefined();

    // The render finished: its image goes at the next sweep.
    pinned.delete(inRender);
    await expect.poll(() => read(leaver.userId, inRender), { timeout: 20_000, interval: 50 }).toBeUndefined();
    expect(await read(editor.userId, stayerImage)).toBeDefined();
  });
});
