import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, type TestUser } from '../support/media-factory.js';
import { chromiumAvailable, launchChromium, servePage } from '../support/browser.js';
import { decodeMono, samplesPerSecond } from '../support/audio-analysis.js';

/**
 * A voiceover recorded the way the editor API's editor records one: in Chromium, with a (fake)
 * microphone from getUserMedia, an offer made by kurento-utils' WebRtcPeerSendonly (the
 * browser library of the editor API's Kurento backend, bundled here for the page), and the editor API's
 * POST / PUT / DELETE. The recording arrives in the library as voiceover media.
 */

const require = createRequire(import.meta.url);

/** kurento-utils as one script for the page: it is published as CommonJS for browserify, and needs the `events` shim. */
async function kurentoUtilsBundle(): Promise<string> {
  const output = await build({
    logLevel: 'silent',
    configFile: false,
    build: {
      write: false,
      minify: false,
      lib: { entry: require.resolve('kurento-utils'), name: 'kurentoUtils', formats: ['iife'], fileName: () => 'kurento-utils.js' },
    },
  });
  const result = Array.isArray(output) ? output[0]! : output;
  if (!('output' in result)) throw new Error('vite did not build kurento-utils');
  return result.output[0].code;
}

describe.runIf(chromiumAvailable)('voiceover in Chromium', () => {
  let server: TestServer;
  let user: TestUser;
  let browser: Browser;
  let page: Page;
  let closePage: () => Promise<void>;

  beforeAll(async () => {
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100' });
    user = await signedInUser(server, 'browser voice');
    browser = await launchChromium([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      // Real host addresses in candidates, not mDNS names the server cannot resolve.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ]);
    const served = await servePage(`<!doctype html><title>voiceover</title><script>${await kurentoUtilsBundle()}</script>`);
    closePage = served.close;
    page = await browser.newPage();
    await page.goto(served.url);
  });
  afterAll(async () => {
    await browser?.close();
    await closePage?.();
    await server?.destroy();
    await user?.editor.close();
  });

  it('records the microphone through kurento-utils and the editor API routes into the library', async () => {
    const result = await page.evaluate(
      async ({ api, token }) => {
        const headers = { Authorization: token, 'Content-Type': 'application/json' };
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await fetch(`${api}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
          return { status: res.status, body: await res.json() };
        };
        const kurentoUtils = (window as any).kurentoUtils;
        const candidates: unknown[] = [];
        let peer: any;
        const offer = await new Promise<string>((resolve, reject) => {
          peer = kurentoUtils.WebRtcPeer.WebRtcPeerSendonly(
            {
              mediaConstraints: { audio: true, video: false },
              configuration: { iceServers: [] },
              onicecandidate: (candidate: RTCIceCandidate) => candidates.push(candidate.toJSON ? candidate.toJSON() : candidate),
            },
            (error: unknown) => {
              if (error) return reject(error);
              peer.generateOffer((offerError: unknown, sdpOffer: string) => (offerError ? reject(offerError) : resolve(sdpOffer)));
            },
          );
        });
        // The editor API's editor sends the candidates gathered with the offer.
        const pc: RTCPeerConnection = peer.peerConnection;
        for (let i = 0; i < 100 && pc.iceGatheringState !== 'complete'; i++) await new Promise((r) => setTimeout(r, 50));
        const created = await call('POST', '/api/voiceovers', { sdpOffer: offer, iceCandidates: candidates });
        if (created.status !== 200) return { step: 'POST' as const, ...created };
        await new Promise<void>((resolve, reject) => peer.processAnswer(created.body.sdpAnswer, (e: unknown) => (e ? reject(e) : resolve())));
        for (const candidate of created.body.iceCandidates) await new Promise<void>((r) => peer.addIceCandidate(candidate, () => r()));
        for (let i = 0; i < 200 && pc.connectionState !== 'connected'; i++) await new Promise((r) => setTimeout(r, 50));
        const connection = pc.connectionState;
        const putSentAt = Date.now();
        const started = await call('PUT', `/api/voiceovers/${created.body.id}`, { name: 'From the browser' });
        const putAnsweredAt = Date.now();
        await new Promise((r) => setTimeout(r, 2500));
        const deleteSentAt = Date.now();
        const stopped = await call('DELETE', `/api/voiceovers/${created.body.id}?keepRecording=1`);
        const deleteAnsweredAt = Date.now();
        peer.dispose();
        return { step: 'done' as const, connection, offer, started, stopped, putSentAt, putAnsweredAt, deleteSentAt, deleteAnsweredAt };
      },
      { api: server.url, token: user.token },
    );
    expect(result.step, JSON.stringify(result)).toBe('done');
    const done = result as Extract<typeof result, { step: 'done' }>;
    expect(done.connection).toBe('connected');
    expect(done.offer).toMatch(/m=audio .*\r\n[\s\S]*a=rtpmap:\d+ opus\/48000\/2/);
    expect(done.started).toEqual({ status: 200, body: { error: '' } });
    expect(done.stopped.status).toBe(200);
    const mediaId = done.stopped.body.mediaId as string;

    const entry = await vi.waitFor(
      async () => {
        const body = (await user.api.get(`/api/mediafiles/${mediaId}`)).body;
        expect(body).toMatchObject({ status: 'ready', progress: 100 });
        return body;
      },
      { timeout: 60_000, interval: 50 },
    );
    expect(entry).toMatchObject({ name: 'From the browser', type: 'voiceover', mediaType: 'audio', status: 'ready', error: null });
    expect((await user.api.get('/api/mediafiles?filter=voiceover')).body.entries.map((e: any) => e.id)).toEqual([mediaId]);
    // It starts when PUT was answered and ends when DELETE arrived, within 100 ms (the browser
    // shares the clock with the server).
    expect(entry.createTime).toBeGreaterThanOrEqual(done.putSentAt);
    expect(entry.createTime).toBeLessThanOrEqual(done.putAnsweredAt);
    expect(entry.createTime + entry.duration / 1e4).toBeGreaterThanOrEqual(done.deleteSentAt - 100);
    expect(entry.createTime + entry.duration / 1e4).toBeLessThanOrEqual(done.deleteAnsweredAt + 100);

    // Chromium's fake microphone beeps: the recording is not silence.
    const samples = await decodeMono(entry.originalUrl);
    expect(samples.length / samplesPerSecond).toBeGreaterThan(2.4);
    const peak = samples.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.05);
  });
});
