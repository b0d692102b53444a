import { RTCPeerConnection, RTCRtpCodecParameters, type MediaStreamTrack, type RTCIceServer } from 'werift';
import type { Logger } from '../logger.js';
import {
  OfferRejected,
  type IceCandidateInit,
  type MediaAnswer,
  type MediaOffer,
  type MediaSession,
  type RecordingResult,
  type StopOptions,
  type VoiceoverMediaServer,
} from './media-server.js';
import { OPUS_SAMPLE_RATE } from './opus-packets.js';
import { OpusRtpRecorder } from './opus-rtp-recorder.js';
import { RtpClock } from './rtp-clock.js';
import { WebmOpusFile } from './webm-opus-file.js';

/**
 * The in-process media server: each session is a werift RTCPeerConnection in this Node
 * process, receiving Opus and writing it to WebM without decoding it. Its UDP sockets belong to
 * this process, so a session lives and dies with it.
 */

export interface WeriftMediaServerOptions {
  /** STUN/TURN servers for candidates beyond this machine's own addresses (never a public default). */
  iceServers: RTCIceServer[];
  /** An address announced in host candidates besides the machine's own (a 1:1 NAT's public address). */
  publicAddress: string | undefined;
  /** The only local IPv4 address to bind and announce; unset: every interface. */
  bindAddress: string | undefined;
  /** UDP ports for ICE, inclusive; unset: any free port. */
  portRange: [number, number] | undefined;
  /** Gathering candidates (STUN, TURN allocations) longer than this answers with those found. */
  gatherTimeoutMs: number;
  /** Stream time the reorder buffer waits for a packet that is missing. */
  reorderLatencyMs: number;
  /** After a recording's end, how long packets still on their way may arrive. */
  lateArrivalGraceMs: number;
}

const opusCodec = () => new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: OPUS_SAMPLE_RATE, channels: 2 });

export class WeriftMediaServer implements VoiceoverMediaServer {
  private readonly sessions = new Set<WeriftSession>();

  constructor(
    private readonly options: WeriftMediaServerOptions,
    private readonly logger: Logger,
  ) {}

  async createSession(offer: MediaOffer): Promise<MediaSession> {
    const { publicAddress, bindAddress, portRange } = this.options;
    const pc = new RTCPeerConnection({
      iceServers: this.options.iceServers,
      ...(portRange ? { icePortRange: portRange } : {}),
      ...(bindAddress ? { iceInterfaceAddresses: { udp4: bindAddress }, iceAdditionalHostAddresses: [bindAddress], iceUseIpv6: false } : {}),
      ...(publicAddress ? { iceAdditionalHostAddresses: [publicAddress, ...(bindAddress ? [bindAddress] : [])] } : {}),
      codecs: { audio: [opusCodec()], video: [] },
    });
    const session = new WeriftSession(pc, this.options, this.logger, () => this.sessions.delete(session));
    try {
      await session.negotiate(offer);
    } catch (error) {
      await session.close();
      throw error;
    }
    this.sessions.add(session);
    return session;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.sessions].map((s) => s.close()));
  }
}

class WeriftSession implements MediaSession {
  answer: MediaAnswer = { sdpAnswer: '', iceCandidates: [] };
  private readonly clock = new RtpClock(OPUS_SAMPLE_RATE);
  private recorder: { recorder: OpusRtpRecorder; path: string } | undefined;
  private track: MediaStreamTrack | undefined;
  private readonly goneListeners: Array<() => void> = [];
  private gone = false;
  private closed = false;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly options: WeriftMediaServerOptions,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    pc.onTrack.subscribe((track) => this.attach(track));
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' || state === 'closed') this.peerGone();
    });
  }

  async negotiate(offer: MediaOffer): Promise<void> {
    const gathered: IceCandidateInit[] = [];
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (candidate) gathered.push(plainCandidate(candidate.toJSON()));
    });
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    } catch (error) {
      throw new OfferRejected(`the offer could not be applied: ${messageOf(error)}`);
    }
    // The browser is the DTLS client (we answer a=setup:passive): werift's DTLS client fails the
    // handshake when a retransmitted ClientHello brings a second HelloVerifyRequest (0.24.4), which
    // a slow peer such as Firefox's may well cause; its server side and browsers' clients cope.
    for (const transport of this.pc.dtlsTransports) transport.role = 'server';
    if (!this.options.iceServers.some((server) => [server.urls].flat().some((url) => /^stuns?:/i.test(url)))) {
      // Without a STUN server of ours, werift's ICE asks Google's public one (even with
      // iceServers: []): a request out of the cluster, and a gathering delay where egress is closed.
      for (const transport of this.pc.iceTransports) transport.connection.stunServer = undefined;
    }
    const audio = this.pc.getTransceivers().find((t) => t.kind === 'audio' && t.codecs.length > 0);
    if (!audio) throw new OfferRejected('unsupported audio codec: recording takes Opus (opus/48000/2), which the offer does not negotiate');
    for (const [index, candidate] of offer.iceCandidates.entries()) {
      if (candidate.candidate === '') continue;
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (error) {
        throw new OfferRejected(`iceCandidates[${index}] is not a candidate of this offer: ${messageOf(error)}`);
      }
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gatheringComplete();
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift made no answer');
    this.answer = announceable(sdp, gathered, this.options);
  }

  onPeerGone(listener: () => void): void {
    if (this.gone) queueMicrotask(listener);
    else this.goneListeners.push(listener);
  }

  async startRecording(path: string): Promise<{ startedAtMs: number }> {
    if (this.recorder) throw new Error('this session is already recording');
    const file = await WebmOpusFile.create(path);
    if (this.closed) {
      await file.discard();
      throw new Error('the session closed while recording started');
    }
    // The recording starts now, after the file is open: the caller answers right away.
    const startedAtMs = Date.now();
    const recorder = new OpusRtpRecorder(file, this.clock, startedAtMs, {
      latencyMs: this.options.reorderLatencyMs,
      lateArrivalGraceMs: this.options.lateArrivalGraceMs,
    });
    this.recorder = { recorder, path };
    return { startedAtMs };
  }

  async stopRecording(options: StopOptions): Promise<RecordingResult | undefined> {
    const recording = this.recorder;
    if (!recording) return undefined;
    this.recorder = undefined;
    const { durationMs, sizeBytes } = await recording.recorder.stop(options.endAtMs);
    return { path: recording.path, durationMs, sizeBytes, filetype: 'webm' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const recording = this.recorder;
    this.recorder = undefined;
    await recording?.recorder.discard();
    await this.pc.close().catch((error: unknown) => this.logger.debug({ err: error }, 'closing a peer connection failed'));
    this.onClosed();
  }

  private attach(track: MediaStreamTrack): void {
    // The first audio track is the microphone; anything else offered is ignored.
    if (track.kind !== 'audio' || this.track) return;
    this.track = track;
    track.onReceiveRtp.subscribe((rtp) => {
      const payloadType = track.codec?.payloadType;
      if (payloadType !== undefined && rtp.header.payloadType !== payloadType) return;
      const arrivedAtMs = Date.now();
      this.clock.observe(rtp.header.timestamp, arrivedAtMs);
      this.recorder?.recorder.receive(rtp, arrivedAtMs);
    });
  }

  private peerGone(): void {
    if (this.gone) return;
    this.gone = true;
    for (const listener of this.goneListeners.splice(0)) listener();
  }

  private gatheringComplete(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(finish, this.options.gatherTimeoutMs);
      const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe((state) => {
        if (state === 'complete') finish();
      });
      function finish() {
        clearTimeout(timer);
        unSubscribe();
        resolve();
      }
    });
  }
}

/**
 * With a bind address, werift still lists the machine's other addresses as host candidates
 * (their sockets bound to the bind address, so unreachable there): only the bind address, the
 * public address and candidates from STUN/TURN are announced.
 */
function announceable(sdp: string, candidates: IceCandidateInit[], options: WeriftMediaServerOptions): MediaAnswer {
  const { bindAddress, publicAddress } = options;
  if (bindAddress === undefined) return { sdpAnswer: sdp, iceCandidates: candidates };
  const keep = (candidate: string) => {
    const [, , , , address, , , type] = candidate.replace(/^a=/, '').split(' ');
    return type !== 'host' || address === bindAddress || address === publicAddress;
  };
  const lines = sdp.split('\r\n').filter((line) => !line.startsWith('a=candidate:') || keep(line));
  return { sdpAnswer: lines.join('\r\n'), iceCandidates: candidates.filter((c) => keep(c.candidate)) };
}

function plainCandidate(candidate: { candidate: string; sdpMid?: string | undefined; sdpMLineIndex?: number | undefined }): IceCandidateInit {
  return { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
