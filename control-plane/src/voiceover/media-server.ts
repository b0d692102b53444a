/**
 * The media side of voiceover recording, behind a small interface so that another media server
 * (Kurento, a separate process) can take the place of the in-process one: it answers a
 * browser's WebRTC offer, receives its microphone, and records what arrives between two
 * moments into a file. Sessions are state of the process that made them.
 */

/** An ICE candidate as the browser's RTCIceCandidate (`toJSON()`) and kurento-utils pass it. */
export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null | undefined;
  sdpMLineIndex?: number | null | undefined;
}

export interface MediaOffer {
  /** The browser's SDP offer (already checked by `checkAudioOffer`). */
  sdp: string;
  /** Candidates the browser gathered, when they are not in the SDP. */
  iceCandidates: IceCandidateInit[];
}

export interface MediaAnswer {
  sdpAnswer: string;
  /** The server's candidates (also in the SDP answer). */
  iceCandidates: IceCandidateInit[];
}

export interface RecordingResult {
  path: string;
  /** What the file holds, from the first sample to the last. */
  durationMs: number;
  sizeBytes: number;
  /** Container and codec of the file, as the media library names them. */
  filetype: 'webm';
}

export interface StopOptions {
  /**
   * When the recording ends on our clock: it is that long after its start, silence filling
   * what did not arrive. Unset: it ends with the last audio that arrived (the owner left).
   */
  endAtMs?: number | undefined;
}

export interface MediaSession {
  readonly answer: MediaAnswer;
  /** Called once if the peer goes away for good (ICE failed, DTLS closed). */
  onPeerGone(listener: () => void): void;
  /** Starts writing the audio from now on to `path`; answers when it started, on our clock. */
  startRecording(path: string): Promise<{ startedAtMs: number }>;
  /** Ends the recording and the file; undefined when recording never started. */
  stopRecording(options: StopOptions): Promise<RecordingResult | undefined>;
  /** Closes the connection; a recording not stopped is discarded. Idempotent. */
  close(): Promise<void>;
}

export interface VoiceoverMediaServer {
  /** Answers an offer; rejects with `OfferRejected` when the offer cannot be served. */
  createSession(offer: MediaOffer): Promise<MediaSession>;
  close(): Promise<void>;
}

/** An offer the media server cannot serve; the message says why, for a 400. */
export class OfferRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OfferRejected';
  }
}
