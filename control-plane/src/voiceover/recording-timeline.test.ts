import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift/nonstandard';
import { OPUS_SILENCE_PACKET, opusPacketSamples } from './opus-packets.js';
import { RecordingTimeline, type TimelineFrame } from './recording-timeline.js';
import { RtpClock, unwrapNear } from './rtp-clock.js';
import { RtpReorderBuffer } from './rtp-reorder-buffer.js';

/** A 20 ms CELT packet with a marker byte, to tell packets apart in the output. */
const packet = (marker: number) => Buffer.from([0xfc, marker]);
const START = 1_000_000;

function timeline(start = START) {
  const frames: TimelineFrame[] = [];
  return {
    frames,
    line: new RecordingTimeline(start, (f) => frames.push(f)),
    markers: () => frames.map((f) => (f.data === OPUS_SILENCE_PACKET ? 'S' : f.data[1])),
  };
}

describe('opusPacketSamples', () => {
  it('reads the duration from the TOC byte', () => {
    expect(opusPacketSamples(Buffer.from([0xf8, 0xff, 0xfe]))).toBe(960); // CELT 20 ms, one frame
    expect(opusPacketSamples(Buffer.from([0x78]))).toBe(960); // hybrid 20 ms (config 15)
    expect(opusPacketSamples(Buffer.from([0x08]))).toBe(960); // SILK 20 ms
    expect(opusPacketSamples(Buffer.from([0x18]))).toBe(2880); // SILK 60 ms
    expect(opusPacketSamples(Buffer.from([0xf9, 0, 0]))).toBe(1920); // two 20 ms frames (code 1)
    expect(opusPacketSamples(Buffer.from([0xeb, 0x04]))).toBe(960); // code 3: four 5 ms CELT frames
    expect(opusPacketSamples(Buffer.from([0x1b, 0x03]))).toBe(0); // 3 x 60 ms is over 120 ms: invalid
    expect(opusPacketSamples(Buffer.alloc(0))).toBe(0);
  });
});

describe('RecordingTimeline', () => {
  it('places packets by timestamp and fills a gap with silence of its length', () => {
    const { line, markers, frames } = timeline();
    line.push(packet(1), START);
    line.push(packet(2), START + 960);
    line.push(packet(5), START + 4 * 960); // 3 and 4 were lost
    expect(markers()).toEqual([1, 2, 'S', 'S', 5]);
    expect(frames.map((f) => f.atSamples)).toEqual([0, 960, 1920, 2880, 3840]);
  });

  it('starts with silence when the first packet comes after the start, and leaves out what is before it', () => {
    const { line, markers } = timeline();
    line.push(packet(0), START - 960); // before the start
    line.push(packet(9), START - 400); // mostly after it: kept, at 0
    line.push(packet(1), START + 960 * 3);
    expect(markers()).toEqual([9, 'S', 'S', 1]);
  });

  it('keeps a stream whose packets fall half a frame off the start together, whatever the rounding', () => {
    // The start is tied to the wall clock in whole ms (48 samples): one take in twenty has its
    // packets exactly 480 samples off its frame grid.
    const { line, markers } = timeline();
    for (let i = 0; i < 6; i++) line.push(packet(i), START - 480 + 960 * i);
    line.push(packet(7), START - 480 + 960 * 7); // 6 was lost
    expect(markers()).toEqual(['S', 1, 2, 3, 4, 5, 'S', 7]);
  });

  it('drops duplicates and packets too late for their place', () => {
    const { line, markers } = timeline();
    line.push(packet(1), START);
    line.push(packet(2), START + 960);
    line.push(packet(1), START);
    line.push(packet(2), START + 960);
    line.push(packet(3), START + 1920);
    expect(markers()).toEqual([1, 2, 3]);
  });

  it('ends at the end it is given: later packets are left out, silence runs to it', () => {
    const { line, markers } = timeline();
    line.push(packet(1), START);
    line.endAt(960 * 4);
    line.push(packet(2), START + 960);
    line.push(packet(9), START + 960 * 4); // after the end
    expect(line.finish(true)).toBe(960 * 4);
    expect(markers()).toEqual([1, 2, 'S', 'S']);
  });

  it('ends with the last packet when not filling (the owner left)', () => {
    const { line, markers } = timeline();
    line.push(packet(1), START);
    line.endAt(960 * 50);
    expect(line.finish(false)).toBe(960);
    expect(markers()).toEqual([1]);
  });
});

describe('RtpClock', () => {
  it('unwraps 32-bit timestamps across the wrap', () => {
    expect(unwrapNear(10, 2 ** 32 - 100)).toBe(2 ** 32 + 10);
    expect(unwrapNear(2 ** 32 - 100, 2 ** 32 + 10)).toBe(2 ** 32 - 100);
    const clock = new RtpClock(48_000);
    expect(clock.observe(2 ** 32 - 960, 1000)).toBe(2 ** 32 - 960);
    expect(clock.observe(0, 1020)).toBe(2 ** 32);
  });

  it("tells the sender's timestamp at a moment of our clock from the least delayed packet", () => {
    const clock = new RtpClock(48_000);
    expect(clock.timestampAt(5000)).toBeUndefined();
    clock.observe(48_000, 1000);
    clock.observe(48_960, 1020);
    clock.observe(49_920, 1300); // held up 260 ms (a stall): it does not move the tie
    clock.observe(48_000, 1310); // a duplicate, late
    expect(clock.timestampAt(1020)).toBe(48_960);
    expect(clock.timestampAt(2020)).toBe(96_960);
    // Packets older than the window no longer count.
    clock.observe(48_000 + 48 * 5000, 6000 + 50);
    expect(clock.timestampAt(6050)).toBe(48_000 + 48 * 5000);
  });
});

describe('RtpReorderBuffer', () => {
  const rtp = (seq: number) => new RtpPacket(new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: (seq * 960) >>> 0 }), Buffer.from([1]));
  const run = (seqs: number[], latencySamples = 960 * 10) => {
    const out: number[] = [];
    const buffer = new RtpReorderBuffer(latencySamples, (p) => out.push(p.header.sequenceNumber));
    for (const seq of seqs) buffer.push(rtp(seq));
    buffer.flush();
    return out;
  };

  it('puts swapped packets back in order', () => {
    expect(run([0, 1, 3, 2, 4, 6, 5])).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('gives up on a lost packet after the latency and keeps every packet behind it', () => {
    const sent = Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 5 && i !== 17);
    expect(run(sent)).toEqual(sent);
  });

  it('passes packets on without waiting when nothing is missing', () => {
    const out: number[] = [];
    const buffer = new RtpReorderBuffer(960 * 10, (p) => out.push(p.header.sequenceNumber));
    buffer.push(rtp(7));
    buffer.push(rtp(8));
    expect(out).toEqual([7, 8]);
  });

  it('drops duplicates and packets older than those passed on, across the sequence wrap', () => {
    expect(run([65534, 65535, 0, 65535, 1, 65534, 2])).toEqual([65534, 65535, 0, 1, 2]);
  });

  it('follows a sender that restarts its numbering', () => {
    const restarted = Array.from({ length: 40 }, (_, i) => 100 + i);
    expect(run([5000, 5001, ...restarted]).slice(-10)).toEqual(restarted.slice(-10));
  });
});
