import { ok, type CutroomClient } from '../../api/client.js';

/**
 * One voiceover take over the editor API's three calls, with the browser's own WebRTC API (no
 * kurento-utils): the microphone goes to the server in a send-only `RTCPeerConnection` whose
 * offer `POST /api/voiceovers` answers; `PUT` starts the recording, `DELETE` ends it, keeping
 * it as a media file or throwing it away.
 */

const GATHERING_TIMEOUT_MS = 3000;
const CONNECT_TIMEOUT_MS = 15_000;

export class MicrophoneSession {
  private constructor(
    private readonly api: CutroomClient,
    private readonly id: string,
    private readonly peer: RTCPeerConnection,
    private readonly microphone: MediaStream,
  ) {}

  /** Asks for the microphone and connects it to the server; nothing is recorded yet. */
  static async open(api: CutroomClient): Promise<MicrophoneSession> {
    const microphone = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    // No STUN server: the browser offers its host candidates, and the server, which answers
    // with its own reachable ones (VOICEOVER_ICE_SERVERS), learns the rest from the checks.
    const peer = new RTCPeerConnection({ iceServers: [] });
    try {
      for (const track of microphone.getAudioTracks()) peer.addTransceiver(track, { direction: 'sendonly', streams: [microphone] });
      await peer.setLocalDescription(await peer.createOffer());
      await gatheringComplete(peer);
      const created = await ok(api.POST('/api/voiceovers', { body: { sdpOffer: peer.localDescription!.sdp, iceCandidates: [] } }));
      await peer.setRemoteDescription({ type: 'answer', sdp: created.sdpAnswer });
      await connected(peer);
      return new MicrophoneSession(api, created.id, peer, microphone);
    } catch (error) {
      peer.close();
      for (const track of microphone.getTracks()) track.stop();
      throw error;
    }
  }

  /** Starts recording; answers the moment the server started (its answer's arrival). */
  async start(name: string | undefined): Promise<number> {
    await ok(this.api.PUT('/api/voiceovers/{id}', { params: { path: { id: this.id } }, body: name ? { name } : {} }));
    return performance.now();
  }

  /** Ends the recording and keeps it: answers the new media file's id. */
  async keep(): Promise<string> {
    try {
      const answer = await ok(this.api.DELETE('/api/voiceovers/{id}', { params: { path: { id: this.id }, query: { keepRecording: '1' } } }));
      if (!answer.mediaId) throw new Error('the server kept no recording');
      return answer.mediaId;
    } finally {
      this.close();
    }
  }

  /** Ends the session and throws the recording away. */
  async discard(): Promise<void> {
    try {
      await ok(this.api.DELETE('/api/voiceovers/{id}', { params: { path: { id: this.id } } }));
    } finally {
      this.close();
    }
  }

  /** Lets go of the microphone and the connection (the server ends a session whose peer left). */
  close(): void {
    this.peer.close();
    for (const track of this.microphone.getTracks()) track.stop();
  }
}

/** The offer is sent once it holds every candidate, or what there is after a few seconds. */
function gatheringComplete(peer: RTCPeerConnection): Promise<void> {
  if (peer.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      peer.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (peer.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, GATHERING_TIMEOUT_MS);
    peer.addEventListener('icegatheringstatechange', check);
  });
}

function connected(peer: RTCPeerConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearTimeout(timer);
      peer.removeEventListener('connectionstatechange', check);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (peer.connectionState === 'connected') finish();
      else if (peer.connectionState === 'failed' || peer.connectionState === 'closed') finish(new Error('the connection to the server failed'));
    };
    const timer = setTimeout(() => finish(new Error('the connection to the server did not open in time')), CONNECT_TIMEOUT_MS);
    peer.addEventListener('connectionstatechange', check);
    check();
  });
}
