import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.js';
import { smallMp4 } from '../support/media.js';
import { chromiumAvailable, launchChromium, servePage } from '../support/browser.js';

/**
 * The editor's side in a real browser, from another origin than the API: the editor API's WebSocket
 * client binds a token, a file is uploaded in chunks with fetch, and the ingested file plays
 * and seeks in a <video> element through its signed previewUrl.
 */
describe.runIf(chromiumAvailable)('the editor in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let closePage: () => Promise<void>;

  beforeAll(async () => {
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100' });
    browser = await launchChromium();
    const served = await servePage('<!doctype html><title>editor</title><video id="v" muted playsinline></video>');
    closePage = served.close;
    page = await browser.newPage();
    await page.goto(served.url);
  });
  afterAll(async () => {
    await browser?.close();
    await closePage?.();
    await server?.destroy();
  });

  it('binds, uploads in chunks across origins, and plays and seeks the ingested file', async () => {
    const { body: user } = await server.api().post('/api/users', { name: 'Browser user' });
    const bytes = [...(await fs.readFile(await smallMp4(4)))];
    const result = await page.evaluate(
      async ({ api, ws, sessionId, bytes }) => {
        // The editor API's sample client, with the session id the editor receives as ?session_id=.
        const authToken = Date.now().toString();
        const client = new WebSocket(ws);
        const bound = new Promise<string>((resolve, reject) => {
          client.onopen = () => client.send(JSON.stringify({ type: 'user_event', payload: { authToken, sessionId } }));
          client.onmessage = (message) => {
            const dataFromServer = JSON.parse(message.data);
            if (dataFromServer.type === 'ping') client.send(JSON.stringify({ type: 'pong' }));
            if (dataFromServer.type === 'user_bound') resolve(dataFromServer.payload.userId);
            if (dataFromServer.type === 'error') reject(new Error(dataFromServer.payload.reason));
          };
        });
        const userId = await bound;
        const headers = { Authorization: authToken };
        const file = new Uint8Array(bytes);
        const created: { id: string } = await (
          await fetch(`${api}/api/upload/media`, {
            method: 'POST',
            headers: { ...headers, 'Content-Type': 'application/json' },
            body: JSON.stringify({ size: file.length, name: 'browser.mp4' }),
          })
        ).json();
        const chunk = 64 * 1024;
        const ranges: string[] = [];
        let status = 0;
        for (let start = 0; start < file.length; start += chunk) {
          const end = Math.min(file.length, start + chunk) - 1;
          const res = await fetch(`${api}/api/upload/media?id=${created.id}`, {
            method: 'PUT',
            headers: { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Range': `bytes ${start}-${end}/${file.length}` },
            body: file.slice(start, end + 1),
          });
          status = res.status;
          ranges.push(res.headers.get('Range') ?? '');
        }
        let entry: any;
        for (let i = 0; i < 300; i++) {
          entry = await (await fetch(`${api}/api/mediafiles/${created.id}`, { headers })).json();
          if (entry.status === 'ready' && entry.progress === 100) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const video = document.getElementById('v') as HTMLVideoElement;
        video.src = entry.previewUrl;
        await new Promise((resolve, reject) => {
          video.onloadeddata = resolve;
          video.onerror = () => reject(new Error(`video error ${video.error?.code}`));
        });
        video.currentTime = 2.5;
        await new Promise((resolve) => (video.onseeked = resolve));
        return { userId, status, ranges, entry, duration: video.duration, currentTime: video.currentTime, width: video.videoWidth };
      },
      { api: server.url, ws: server.wsUrl, sessionId: user.id, bytes },
    );
    expect(result.userId).toBe(user.id);
    expect(result.status).toBe(200);
    // The browser could read the Range header across origins (exposed by CORS).
    expect(result.ranges[0]).toBe('bytes=0-65535');
    expect(result.entry).toMatchObject({ status: 'ready', mediaType: 'video', width: 320 });
    expect(result.duration).toBeGreaterThan(3.9);
    expect(result.currentTime).toBeCloseTo(2.5, 1);
    expect(result.width).toBe(320);
  });
});
