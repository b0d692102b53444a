import { describe, expect, it } from 'vitest';
import { OfferRejected } from './media-server.js';
import { checkAudioOffer } from './sdp-offer.js';

/** An offer as Chromium makes it for a microphone (trimmed to what the check reads). */
const chromeOffer = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:63 red/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  '',
].join('\r\n');

const refusal = (sdp: string) => {
  try {
    checkAudioOffer(sdp);
  } catch (error) {
    expect(error).toBeInstanceOf(OfferRejected);
    return (error as Error).message;
  }
  return undefined;
};

describe('checkAudioOffer', () => {
  it("accepts a browser's microphone offer", () => {
    expect(refusal(chromeOffer)).toBeUndefined();
    expect(refusal(chromeOffer.replace('a=sendrecv', 'a=sendonly'))).toBeUndefined();
  });

  it('refuses what is not an SDP offer', () => {
    expect(refusal('hello')).toMatch(/not an SDP session description/);
    expect(refusal(chromeOffer.replace('a=setup:actpass', 'a=setup:active'))).toMatch(/an answer, not an offer \(a=setup:active/);
  });

  it('refuses an offer without audio, or whose audio does not send', () => {
    expect(refusal(chromeOffer.replace('m=audio 9', 'm=video 9'))).toMatch(/no audio m-line/);
    expect(refusal(chromeOffer.replace('m=audio 9', 'm=audio 0'))).toMatch(/no audio m-line/);
    expect(refusal(chromeOffer.replace('a=sendrecv', 'a=recvonly'))).toMatch(/does not send audio/);
  });

  it('refuses an offer without Opus, naming the codecs it has', () => {
    expect(refusal(chromeOffer.replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 ISAC/16000'))).toBe(
      'unsupported audio codec: recording takes Opus (opus/48000/2); the offer has ISAC/16000, red/48000/2, G722/8000, PCMU/8000, PCMA/8000',
    );
  });
});
