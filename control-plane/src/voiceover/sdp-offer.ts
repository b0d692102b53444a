import { OfferRejected } from './media-server.js';

/**
 * Checks that an SDP is an offer we can record from before any media machinery starts: a
 * session description, made as an offer (DTLS role `actpass`, RFC 8842), with an audio m-line
 * that sends Opus at 48 kHz, the codec every browser offers and the only one recorded.
 */

interface MediaSection {
  kind: string;
  port: number;
  formats: string[];
  attributes: string[];
}

const SENDING = new Set(['sendrecv', 'sendonly']);

export function checkAudioOffer(sdp: string): void {
  const lines = sdp
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines[0] !== 'v=0' || !lines.some((line) => line.startsWith('m='))) {
    throw new OfferRejected('sdpOffer is not an SDP session description (it must start with v=0 and have m= lines)');
  }
  const sessionAttributes: string[] = [];
  const sections: MediaSection[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) {
      const [kind = '', port = '0', , ...formats] = line.slice(2).split(/\s+/);
      sections.push({ kind, port: Number(port), formats, attributes: [] });
    } else if (line.startsWith('a=')) {
      (sections.at(-1)?.attributes ?? sessionAttributes).push(line.slice(2));
    }
  }

  const setup = [...sessionAttributes, ...sections.flatMap((s) => s.attributes)].find((a) => a.startsWith('setup:'));
  if (setup !== undefined && setup !== 'setup:actpass') {
    throw new OfferRejected(`sdpOffer is an answer, not an offer (a=${setup}; an offer has a=setup:actpass): send what createOffer() made`);
  }

  const audio = sections.filter((s) => s.kind === 'audio' && s.port !== 0);
  if (audio.length === 0) {
    throw new OfferRejected('the offer has no audio m-line: add the microphone track (getUserMedia({audio: true})) before createOffer()');
  }
  const sending = audio.filter((s) => {
    const direction = [...s.attributes, ...sessionAttributes].find((a) => ['sendrecv', 'sendonly', 'recvonly', 'inactive'].includes(a));
    return direction === undefined || SENDING.has(direction);
  });
  if (sending.length === 0) {
    throw new OfferRejected("the offer's audio m-line does not send audio (recvonly or inactive): offer to send the microphone");
  }
  const codecs = sending.flatMap((s) =>
    s.attributes
      .filter((a) => a.startsWith('rtpmap:'))
      .map((a) => a.slice('rtpmap:'.length).split(/\s+/)[1] ?? '')
      .filter(Boolean),
  );
  if (!codecs.some((codec) => /^opus\/48000(\/\d+)?$/i.test(codec))) {
    const offered = codecs.length > 0 ? codecs.join(', ') : 'none named by a=rtpmap';
    throw new OfferRejected(`unsupported audio codec: recording takes Opus (opus/48000/2); the offer has ${offered}`);
  }
}
