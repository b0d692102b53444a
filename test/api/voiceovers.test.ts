import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, type TestUser } from '../support/media-factory.js';
import { OpusSender, opusTonePackets, seededLoss } from '../support/voiceover-peer.js';
import { OPUS_SILENCE_PACKET } from '../../control-plane/src/voiceover/opus-packets.js';
import { decodeMono, dominantFrequency, samplesPerSecond, tonePower } from '../support/audio-analysis.js';
import { clip, downloadUrl, followEditing, xtl } from '../support/editing.js';
import { holdFor } from '../support/waiting.js';

/**
 * Voiceover recording through the editor API's routes, with a real WebRTC peer (werift) sending a
 * tone the way the editor's browser sends the microphone: the recording lands in the library
 * as `voiceover` media, lasts the time from the PUT answer to the DELETE, and sounds like what
 * was sent in that time.
 */

const TONE_HZ = 440;
const OTHER_HZ = 1320;

/** The user's voiceover media once ingest has finished with it. */
function readyVoiceover(user: TestUser, id: string): Promise<any> {
  return vi.waitFor(
    async () => {
      const entry = (await user.api.get(`/api/mediafiles/${id}`)).body;
      expect(entry, `voiceover ${id}`).toMatchObject({ status: 'ready', progress: 100 });
      return entry;
    },
    { timeout: 60_000, interval: 50 },
  );
}

async function download(url: string, name: string): Promise<string> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cutroom-voiceover-')), name);
  fs.writeFileSync(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
  return file;
}

/** UDP sockets this process holds (what a WebRTC connection leaves behind if it is not closed). */
function openUdpSockets(): number {
  const inodes = new Set(
    ['/proc/net/udp', '/proc/net/udp6'].flatMap((table) =>
      fs.existsSync(table)
        ? fs
            .readFileSync(table, 'utf8')
            .split('\n')
            .slice(1)
            .map((line) => line.trim().split(/\s+/)[9])
            .filter(Boolean)
        : [],
    ),
  );
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (match && inodes.has(match[1]!)) count += 1;
    } catch {
      // The descriptor closed while listing.
    }
  }
  return count;
}

describe('voiceover recording', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let tone: Buffer[];
  let other: Buffer[];
  const peers: OpusSender[] = [];

  beforeAll(async () => {
    server = await startTestServer('postgres', {
      DISPATCH_INTERVAL_MS: '100',
      VOICEOVER_BIND_ADDRESS: '127.0.0.1',
      VOICEOVER_MAX_SESSIONS: '3',
      VOICEOVER_SWEEP_INTERVAL_MS: '100',
      // A short grace for the disconnect test; pings far apart, so that a loaded machine's stalls
      // never make a connected editor miss a pong and lose its socket.
      TOKEN_GRACE_SECONDS: '3',
      WS_PING_INTERVAL_MS: '5000',
    });
    [alice, bob] = await Promise.all([signedInUser(server, 'alice'), signedInUser(server, 'bob')]);
    [tone, other] = await Promise.all([opusTonePackets(TONE_HZ, 3), opusTonePackets(OTHER_HZ, 1)]);
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });
  afterAll(async () => {
    await server?.destroy();
    await Promise.all([alice?.editor.close(), bob?.editor.close()]);
  });

  /** A connected peer playing `background` on a loop, and its session id. */
  async function openSession(user: TestUser, background: Buffer[], attempts = 3): Promise<{ peer: OpusSender; id: string }> {
    const peer = await OpusSender.create();
    peers.push(peer);
    const created = await user.api.post('/api/voiceovers', peer.offer);
    expect(created.status, created.text).toBe(200);
    expect(created.body.sdpAnswer).toMatch(/^v=0/);
    expect(created.body.sdpAnswer).toMatch(/a=setup:passive/);
    expect(created.body.iceCandidates.length).toBeGreaterThan(0);
    try {
      await peer.accept(created.body);
    } catch (error) {
      // The test peer's DTLS client can fail on a loaded machine (see OpusSender.accept).
      await user.api.delete(`/api/voiceovers/${created.body.id}`);
      if (attempts <= 1) throw error;
      return openSession(user, background, attempts - 1);
    }
    peer.start(background);
    return { peer, id: created.body.id };
  }

  /** When the requests of one take went out and came back, on the clock the server shares. */
  interface Take {
    mediaId: string;
    putSentAt: number;
    putAnsweredAt: number;
    deleteSentAt: number;
    deleteAnsweredAt: number;
  }

  /** PUT, the packets in real time while recording, DELETE with keepRecording. */
  async function recordTone(user: TestUser, peer: OpusSender, id: string, packets: Buffer[], name?: string): Promise<Take> {
    const putSentAt = Date.now();
    const started = await user.api.put(`/api/voiceovers/${id}`, name === undefined ? {} : { name });
    const putAnsweredAt = Date.now();
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ error: '' });
    await peer.play(packets);
    const deleteSentAt = Date.now();
    const stopped = await user.api.delete(`/api/voiceovers/${id}?keepRecording=1`);
    const deleteAnsweredAt = Date.now();
    expect(stopped.status, stopped.text).toBe(200);
    expect(stopped.body.mediaId).toEqual(expect.any(String));
    return { mediaId: stopped.body.mediaId, putSentAt, putAnsweredAt, deleteSentAt, deleteAnsweredAt };
  }

  /**
   * The recording starts when PUT is answered and ends when DELETE arrives: its first sample
   * (the entry's createTime) falls within the PUT request, and its length is the time from
   * there to the DELETE request, within 100 ms, whatever the load on the machine (on the clock
   * this test shares with the server). The tone is 3.02 s of packets sent in real time between
   * the two, so on a machine that keeps time the length is 3 s ± 0.1.
   */
  function expectRecordedSpan(entry: { createTime: number; duration: number }, take: Take): void {
    const endAt = entry.createTime + entry.duration / 1e4;
    expect(entry.createTime).toBeGreaterThanOrEqual(take.putSentAt);
    expect(entry.createTime).toBeLessThanOrEqual(take.putAnsweredAt);
    expect(endAt).toBeGreaterThanOrEqual(take.deleteSentAt - 100);
    expect(endAt).toBeLessThanOrEqual(take.deleteAnsweredAt + 100);
    expect(entry.duration / 1e7).toBeGreaterThan(2.9);
  }

  /** Where the tone is, 100 ms a character: what a failed check shows of the file. */
  function toneMap(samples: Float32Array): string {
    const window = samplesPerSecond / 10;
    let map = '';
    for (let at = 0; at + window <= samples.length; at += window) map += tonePower(samples, TONE_HZ, at, at + window) > 1e-4 ? 'T' : '.';
    return map;
  }

  /** Decoded, the file is as long as the entry says (less Opus's 6.5 ms pre-skip). */
  function expectDecodedLength(samples: Float32Array, entry: { duration: number }): void {
    expect(Math.abs(samples.length / samplesPerSecond - entry.duration / 1e7)).toBeLessThan(0.03);
  }

  it('records the tone sent between PUT and DELETE into the library as voiceover media', async () => {
    // Before PUT and after DELETE the peer sends another tone, which must not be in the file.
    const { peer, id } = await openSession(alice, other);
    await holdFor(300); // the other tone, which is not recorded
    // A moment of silence after the tone, so that all of it is in whatever the load.
    const take = await recordTone(alice, peer, id, [...tone, ...Array<Buffer>(10).fill(OPUS_SILENCE_PACKET)], 'Take one');
    const { mediaId } = take;
    await holdFor(300); // the other tone again, after the recording

    const entry = await readyVoiceover(alice, mediaId);
    expect(entry).toMatchObject({ name: 'Take one', type: 'voiceover', mediaType: 'audio', filetype: 'webm', error: null });
    expectRecordedSpan(entry, take);
    expect(entry.thumbnail).toMatch(/^data:image\/png;base64,|^[A-Za-z0-9+/=]+$/);

    const listed = await alice.api.get('/api/mediafiles?filter=voiceover');
    expect(listed.body.entries.map((e: any) => e.id)).toEqual([mediaId]);
    expect((await alice.api.get('/api/mediafiles?filter=video')).body.entries.map((e: any) => e.id)).not.toContain(mediaId);
    expect((await bob.api.get('/api/mediafiles?filter=voiceover')).body.total_count).toBe(0);

    const file = await download(entry.originalUrl, 'take-one.webm');
    const samples = await decodeMono(file);
    expectDecodedLength(samples, entry);
    expect(Math.abs(dominantFrequency(samples) - TONE_HZ)).toBeLessThanOrEqual(2);
    // All of the tone is in: 3 s of the file's 100 ms windows hold it (a window may straddle its ends).
    const window = samplesPerSecond / 10;
    let toneWindows = 0;
    for (let at = 0; at + window <= samples.length; at += window) {
      if (tonePower(samples, TONE_HZ, at, at + window) > 1e-4) toneWindows += 1;
    }
    expect(toneWindows, `tone (T) by 100 ms: ${toneMap(samples)}`).toBeGreaterThanOrEqual(29);
    expect(toneWindows).toBeLessThanOrEqual(31);
    // What was sent before PUT and after DELETE is (nearly) absent: at most a few ms of it.
    expect(tonePower(samples, OTHER_HZ)).toBeLessThan(tonePower(samples, TONE_HZ) / 100);

    // The session is gone: its id answers 404, and nothing of it keeps running.
    expect((await alice.api.put(`/api/voiceovers/${id}`, {})).status).toBe(404);
    expect(server.controlPlane.services.voiceovers.localCount).toBe(0);

    // The recording is a source like any audio file: two seconds of it, rendered.
    const render = await alice.api.post('/api/task/editing', {
      xtl_task: xtl(`<group output="narration.m4a"><track video="0">${clip(mediaId, '00:00:00:50', '00:00:02:50')}</track></group>`),
    });
    expect(render.status, render.text).toBe(200);
    const followed = await followEditing(alice.api, render.body.taskId, { timeoutMs: 120_000 });
    expect(followed.last.status, JSON.stringify(followed.last.error)).toBe('completed');
    const rendered = await decodeMono(await downloadUrl(followed.last.outputUrls[0]!, 'narration.m4a'));
    expect(Math.abs(rendered.length / samplesPerSecond - 2)).toBeLessThan(0.1);
    expect(Math.abs(dominantFrequency(rendered) - TONE_HZ)).toBeLessThanOrEqual(2);
  });

  it('records two sessions at once, each with its own tone', async () => {
    const high = await opusTonePackets(880, 3);
    const [a, b] = await Promise.all([openSession(alice, []), openSession(bob, [])]);
    const [aliceTake, bobTake] = await Promise.all([recordTone(alice, a.peer, a.id, tone), recordTone(bob, b.peer, b.id, high)]);
    const [aliceEntry, bobEntry] = await Promise.all([readyVoiceover(alice, aliceTake.mediaId), readyVoiceover(bob, bobTake.mediaId)]);
    expect(aliceEntry.name).toMatch(/^Voiceover \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    for (const [entry, take, hz] of [
      [aliceEntry, aliceTake, TONE_HZ],
      [bobEntry, bobTake, 880],
    ] as const) {
      expectRecordedSpan(entry, take);
      const samples = await decodeMono(await download(entry.originalUrl, `${hz}.webm`));
      expectDecodedLength(samples, entry);
      expect(Math.abs(dominantFrequency(samples) - hz)).toBeLessThanOrEqual(2);
    }
    // Each user sees only their own recording.
    expect((await bob.api.get(`/api/mediafiles/${aliceTake.mediaId}`)).status).toBe(404);
  });

  it('keeps the length when 5% of the packets are lost, filling the gaps with silence', async () => {
    const { peer, id } = await openSession(alice, []);
    peer.drop = seededLoss(0.05);
    const take = await recordTone(alice, peer, id, tone);
    expect(peer.stats.dropped).toBeGreaterThan(3);
    const entry = await readyVoiceover(alice, take.mediaId);
    expectRecordedSpan(entry, take);
    const samples = await decodeMono(await download(entry.originalUrl, 'lossy.webm'));
    expectDecodedLength(samples, entry);
    expect(Math.abs(dominantFrequency(samples) - TONE_HZ)).toBeLessThanOrEqual(2);
    // Each lost packet is 20 ms of silence, no more: the tone fills nearly every 20 ms window.
    const window = samplesPerSecond / 50;
    let silent = 0;
    for (let at = 0; at + window <= samples.length; at += window) {
      if (tonePower(samples, TONE_HZ, at, at + window) < 1e-4) silent += 1;
    }
    expect(silent / Math.floor(samples.length / window), `tone (T) by 100 ms: ${toneMap(samples)}`).toBeLessThan(0.15);
  });

  it('discards the recording without keepRecording', async () => {
    const before = (await alice.api.get('/api/mediafiles?filter=voiceover')).body.total_count;
    const { peer, id } = await openSession(alice, tone);
    expect((await alice.api.put(`/api/voiceovers/${id}`)).body).toEqual({ error: '' });
    await holdFor(500); // recording the tone, which is then discarded
    const stopped = await alice.api.delete(`/api/voiceovers/${id}`);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toEqual({});
    expect((await alice.api.get('/api/mediafiles?filter=voiceover')).body.total_count).toBe(before);
    expect(fs.readdirSync(path.join(server.dataDir, 'voiceovers'))).toEqual([]);
    peer.pause();
  });

  it('refuses bad input with a clear answer and leaves nothing running', async () => {
    const socketsBefore = openUdpSockets();
    const probe = await OpusSender.create();
    const offer = probe.offer.sdpOffer;
    await probe.close();
    const post = (body: unknown) => alice.api.post('/api/voiceovers', body);

    const garbage = await post({ sdpOffer: 'hello', iceCandidates: [] });
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.message).toMatch(/not an SDP/);

    const answerLike = await post({ sdpOffer: offer.replace('a=setup:actpass', 'a=setup:active'), iceCandidates: [] });
    expect(answerLike.status).toBe(400);
    expect(answerLike.body.error.message).toMatch(/an answer, not an offer/);
    const typedAnswer = await post({ sdpOffer: { type: 'answer', sdp: offer }, iceCandidates: [] });
    expect(typedAnswer.status).toBe(400);
    expect(typedAnswer.body.error.message).toMatch(/not an offer/);

    const noAudio = await post({
      sdpOffer: offer.replace(/m=audio .*/, 'm=video 9 UDP/TLS/RTP/SAVPF 96').replace('opus/48000/2', 'VP8/90000'),
      iceCandidates: [],
    });
    expect(noAudio.status).toBe(400);
    expect(noAudio.body.error.message).toMatch(/no audio m-line/);

    const pcmu = await post({ sdpOffer: offer.replace(/a=rtpmap:(\d+) opus\/48000\/2/, 'a=rtpmap:$1 PCMU/8000'), iceCandidates: [] });
    expect(pcmu.status).toBe(400);
    expect(pcmu.body.error.message).toMatch(/unsupported audio codec.*PCMU\/8000/);

    const badCandidate = await post({ sdpOffer: offer, iceCandidates: [{ candidate: 'candidate:not a candidate', sdpMid: '0', sdpMLineIndex: 0 }] });
    expect(badCandidate.status).toBe(400);
    expect(badCandidate.body.error.message).toMatch(/iceCandidates\[0\]/);

    expect(server.controlPlane.services.voiceovers.localCount).toBe(0);
    await expect
      .poll(openUdpSockets, { timeout: 20_000, interval: 50, message: 'the refused sessions close their sockets' })
      .toBeLessThanOrEqual(socketsBefore);

    // PUT on another user's session is a 404, PUT twice a 400, each with the editor API's {error: "..."}.
    const { id } = await openSession(alice, []);
    const foreign = await bob.api.put(`/api/voiceovers/${id}`, { name: 'mine now' });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toMatch(/no voiceover session/);
    expect((await bob.api.delete(`/api/voiceovers/${id}?keepRecording=1`)).status).toBe(404);
    expect((await alice.api.put(`/api/voiceovers/${id}`, { name: 42 })).body.error).toMatch(/name must be a string/);
    expect((await alice.api.put(`/api/voiceovers/${id}`, {})).status).toBe(200);
    const twice = await alice.api.put(`/api/voiceovers/${id}`, {});
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatch(/already recording/);
    expect((await alice.api.delete(`/api/voiceovers/${id}`)).status).toBe(200);
    expect((await alice.api.delete(`/api/voiceovers/${id}`)).status).toBe(404);
  });

  it('answers 503 past VOICEOVER_MAX_SESSIONS and counts live sessions in /api/stat and /metrics', async () => {
    const sessions = await Promise.all([openSession(alice, []), openSession(alice, []), openSession(bob, [])]);
    expect((await server.api().get('/api/stat')).body.activeVoiceoverSessionsCount).toBe(3);
    expect((await server.api().get('/metrics')).text).toMatch(/^cutroom_voiceover_sessions 3$/m);
    const fourth = await OpusSender.create();
    peers.push(fourth);
    const refused = await bob.api.post('/api/voiceovers', fourth.offer);
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toMatch(/3 voiceover sessions \(VOICEOVER_MAX_SESSIONS\)/);
    for (const { id } of sessions) {
      const owner = sessions.indexOf(sessions.find((s) => s.id === id)!) < 2 ? alice : bob;
      expect((await owner.api.delete(`/api/voiceovers/${id}`)).status).toBe(200);
    }
    expect((await server.api().get('/api/stat')).body.activeVoiceoverSessionsCount).toBe(0);
  });

  it('ends the session of an owner who disconnects mid-recording, keeping the file', async () => {
    const carol = await signedInUser(server, 'carol');
    const { peer, id } = await openSession(carol, tone);
    expect((await carol.api.put(`/api/voiceovers/${id}`, { name: 'interrupted' })).status).toBe(200);
    await holdFor(1500); // recording the tone
    // The tab closes: the socket and the microphone go together.
    peer.pause();
    const soundStoppedAt = Date.now();
    await carol.editor.close();
    const kept = await vi.waitFor(
      async () => {
        const rows = await server.controlPlane.database.db.selectFrom('media').selectAll().where('owner_id', '=', carol.id).execute();
        const row = rows.find((r) => r.type === 'voiceover' && r.status === 'ready');
        if (!row) throw new Error('the interrupted recording is not kept (yet)');
        return row;
      },
      { timeout: 60_000, interval: 50 },
    );
    expect(kept.name).toBe('interrupted');
    // It ends where the sound stopped, not when the owner's token expired (seconds later).
    expect(Math.abs(kept.create_time_ms + kept.duration_hns / 1e4 - soundStoppedAt)).toBeLessThan(200);
    expect(kept.duration_hns / 1e7).toBeGreaterThan(1.3);
    expect(server.controlPlane.services.voiceovers.localCount).toBe(0);
    expect((await server.api().get('/api/stat')).body.activeVoiceoverSessionsCount).toBe(0);
  });
});

describe('voiceover sessions that never record', () => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer('postgres', { VOICEOVER_BIND_ADDRESS: '127.0.0.1', VOICEOVER_IDLE_TIMEOUT_SECONDS: '1' });
    user = await signedInUser(server, 'idle');
  });
  afterAll(async () => {
    await server?.destroy();
    await user?.editor.close();
  });

  it('are closed after VOICEOVER_IDLE_TIMEOUT_SECONDS, sockets and all', async () => {
    const socketsBefore = openUdpSockets();
    const peer = await OpusSender.create();
    try {
      const created = await user.api.post('/api/voiceovers', peer.offer);
      expect(created.status).toBe(200);
      expect(server.controlPlane.services.voiceovers.localCount).toBe(1);
      // Connected or not (see OpusSender.accept), a session that never records is closed.
      await peer.accept(created.body).catch(() => {});
      await expect
        .poll(() => server.controlPlane.services.voiceovers.localCount, { timeout: 20_000, interval: 50, message: 'the idle session closes' })
        .toBe(0);
      const late = await user.api.put(`/api/voiceovers/${created.body.id}`, {});
      expect(late.status).toBe(404);
      expect(late.body.error).toMatch(/no voiceover session/);
    } finally {
      await peer.close();
    }
    await expect.poll(openUdpSockets, { timeout: 20_000, interval: 50, message: 'the sockets close' }).toBeLessThanOrEqual(socketsBefore);
  });
});
