import fs from 'node:fs/promises';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import { OggParser } from 'werift/nonstandard';
import { makeMedia } from './media.js';

/**
 * A WebRTC peer standing in for the editor's browser: a werift connection that sends Opus
 * packets (encoded by ffmpeg beforehand, so nothing is encoded or decoded here) on a real-time
 * 20 ms clock. What it sends can change at any moment, and a loss model decides which packets
 * never leave. Host candidates are loopback only.
 */

/** 20 ms Opus packets of a sine tone, as ffmpeg's libopus encodes it. */
export async function opusTonePackets(hz: number, durationS: number): Promise<Buffer[]> {
  const file = await makeMedia(`tone-${hz}hz-${durationS}s.opus`, [
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${hz}:sample_rate=48000:duration=${durationS}`,
    '-c:a',
    'libopus',
    '-b:a',
    '48k',
    '-frame_duration',
    '20',
    '-ac',
    '1',
    '-f',
    'ogg',
  ]);
  // The first two packets of an Ogg Opus stream are its headers.
  return new OggParser()
    .read(await fs.readFile(file))
    .exportSegments()
    .slice(2);
}

export interface OfferBody {
  sdpOffer: string;
  iceCandidates: Array<{ candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }>;
}

const FRAME_MS = 20;
const FRAME_SAMPLES = 960;

export class OpusSender {
  private seq = Math.floor(Math.random() * 30_000);
  private timestamp = Math.floor(Math.random() * 2 ** 31);
  private background: Buffer[] = [];
  private backgroundIndex = 0;
  private queue: Buffer[] = [];
  private queueDone: (() => void) | undefined;
  /** When the queued packets began to play (performance.now()), and when the clock started. */
  private playFrom = 0;
  private clockStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private sentCount = 0;
  private droppedCount = 0;
  /** Decides for each packet (by its number since the start) whether it is lost. */
  drop: (index: number) => boolean = () => false;

  private constructor(
    readonly pc: RTCPeerConnection,
    private readonly transceiver: RTCRtpTransceiver,
    readonly offer: OfferBody,
  ) {}

  static async create(): Promise<OpusSender> {
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
      codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })], video: [] },
    });
    const candidates: OfferBody['iceCandidates'] = [];
    pc.onIceCandidate.subscribe((c) => {
      if (c) candidates.push({ candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null });
    });
    const transceiver = pc.addTransceiver('audio', { direction: 'sendonly' });
    const offer = await pc.createOffer();
    // werift asks Google's public STUN server when given none: nothing leaves this machine.
    for (const transport of pc.iceTransports) transport.connection.stunServer = undefined;
    await pc.setLocalDescription(offer);
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.iceGatheringStateChange.subscribe((state) => state === 'complete' && resolve());
    });
    return new OpusSender(pc, transceiver, { sdpOffer: pc.localDescription!.sdp, iceCandidates: candidates });
  }

  /**
   * Applies the server's answer and waits for the connection; rejects if it fails. This peer is
   * the DTLS client, and werift's client (0.24.4) gives up on the handshake when a slow server
   * makes it retransmit its ClientHello and two HelloVerifyRequests come back: callers on a
   * loaded machine try again with a new session (browsers' clients do not have that flaw).
   */
  async accept(answer: { sdpAnswer: string }, timeoutMs = 30_000): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not connected within ${timeoutMs} ms (${this.pc.connectionState})`)), timeoutMs);
      this.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') {
          clearTimeout(timer);
          resolve();
        } else if (state === 'failed' || state === 'closed') {
          clearTimeout(timer);
          reject(new Error(`the connection ${state}`));
        }
      });
    });
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer.sdpAnswer });
    await connected;
  }

  /** Starts the 20 ms clock; `background` loops whenever nothing else is playing. */
  start(background: Buffer[]): void {
    this.background = background;
    const startedAt = (this.clockStart = performance.now());
    let frame = 0;
    const tick = () => {
      this.sendNext(frame);
      frame += 1;
      // Scheduled against the start, so timer lateness does not add up.
      this.timer = setTimeout(tick, Math.max(0, startedAt + frame * FRAME_MS - performance.now()));
    };
    tick();
  }

  /** Plays these packets next, in real time; resolves once the last one is sent. */
  play(packets: Buffer[]): Promise<void> {
    this.queue = [...packets];
    this.playFrom = performance.now();
    return new Promise((resolve) => (this.queueDone = resolve));
  }

  /** Plays the background from now on (drops what was queued). */
  backToBackground(): void {
    this.queue = [];
    this.queueDone?.();
    this.queueDone = undefined;
  }

  get stats(): { sent: number; dropped: number } {
    return { sent: this.sentCount, dropped: this.droppedCount };
  }

  /** Stops sending, the connection stays up. */
  pause(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.pause();
    await this.pc.close();
  }

  /**
   * The packet of the 20 ms frame `index`, stamped with the frame's own time. After a stall of
   * this process the clock catches up on the frames it missed, in a burst: like a microphone's
   * buffered capture, those carry what played when they were due, never what was queued later.
   */
  private sendNext(index: number): void {
    const due = this.clockStart + index * FRAME_MS;
    let payload: Buffer | undefined = due >= this.playFrom ? this.queue.shift() : undefined;
    if (payload !== undefined && this.queue.length === 0) {
      const done = this.queueDone;
      this.queueDone = undefined;
      // After this packet has gone.
      setImmediate(() => done?.());
    }
    if (payload === undefined && this.background.length > 0) {
      payload = this.background[this.backgroundIndex % this.background.length]!;
      this.backgroundIndex += 1;
    }
    const header = new RtpHeader({
      sequenceNumber: this.seq,
      timestamp: this.timestamp >>> 0,
      payloadType: this.transceiver.sender.codec?.payloadType ?? 111,
      marker: index === 0,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp += FRAME_SAMPLES;
    if (payload === undefined) return;
    if (this.drop(index)) {
      this.droppedCount += 1;
      return;
    }
    this.sentCount += 1;
    void this.transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch(() => {});
  }
}

/** A repeatable pseudo-random loss of about `ratio` of the packets (a linear congruential generator). */
export function seededLoss(ratio: number, seed = 12345): (index: number) => boolean {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31 < ratio;
  };
}
