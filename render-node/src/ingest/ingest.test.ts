import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegCli, makeTestAudio, makeTestImage, makeTestVideo, tempDir } from '../test-support/lavfi-media.js';
import { TaskFailure, type TaskContext } from '../worker/task-handler.js';
import { ffprobe } from '../ffmpeg/index.js';
import { ingest } from './ingest.js';
import type { IngestSpec } from './ingest-spec.js';

/** A store standing in for signed URLs: GET /get/<name> serves a file, PUT /put/<name> keeps the body. */
class UrlStore {
  readonly stored = new Map<string, { body: Buffer; contentType?: string }>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  url = '';
  constructor(private readonly dir: string) {}
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  close() {
    return new Promise((resolve) => this.server.close(resolve));
  }
  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const [, verb, name] = (req.url ?? '').split('/');
    if (verb === 'put' && req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      this.stored.set(name!, { body: Buffer.concat(chunks), contentType: req.headers['content-type'] });
      res.writeHead(200).end();
    } else if (verb === 'get') {
      const body = await fs.readFile(path.join(this.dir, decodeURIComponent(name!))).catch(() => undefined);
      if (!body) res.writeHead(404).end();
      else res.writeHead(200, { 'content-length': body.length }).end(body);
    } else res.writeHead(400).end();
  }
}

describe('ingest', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: UrlStore;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir());
    store = await new UrlStore(dir).start();
  });
  afterAll(async () => {
    await store.close();
    await remove();
  });

  const run = async (name: string, source: IngestSpec['source'] = { url: `${store.url}/get/${encodeURIComponent(name)}` }) => {
    const scratch = await fs.mkdtemp(path.join(dir, 'scratch-'));
    const key = `${name}-${Math.random().toString(36).slice(2)}`;
    const stages = new Set<string>();
    const context: TaskContext<IngestSpec> = {
      order: {
        id: 'task',
        kind: 'ingest',
        attempt: 1,
        heartbeatIntervalS: 5,
        gpu: false,
        spec: {
          name,
          source,
          original: 'parts' in source ? { putUrl: `${store.url}/put/${key}.original` } : undefined,
          proxy: { putUrls: { mp4: `${store.url}/put/${key}.proxy`, m4a: `${store.url}/put/${key}.proxy`, png: `${store.url}/put/${key}.proxy` } },
          thumbnails: { putUrl: `${store.url}/put/${key}.pack`, stepHns: 10_000_000, width: 160, height: 90 },
        },
      },
      signal: new AbortController().signal,
      progress: (_f, stage) => stage && stages.add(stage),
      log: () => {},
      scratchDir: scratch,
    };
    const result = await ingest(context);
    return { result, stages, proxy: store.stored.get(`${key}.proxy`), pack: store.stored.get(`${key}.pack`), original: store.stored.get(`${key}.original`) };
  };

  it('probes an H.264/AAC MP4 that browsers play: no proxy, a thumbnail per second', async () => {
    await makeTestVideo(dir, 'plain', { durationS: 3, width: 320, height: 240 });
    const { result, proxy, pack, stages } = await run('plain.mp4');
    expect(result).toMatchObject({ filetype: 'mp4', mediaType: 'video', width: 320, height: 240, proxyReasons: [], proxyContentType: null });
    expect(result.durationHns).toBeGreaterThan(2.9e7);
    expect(result.durationHns).toBeLessThan(3.2e7);
    expect(result.audioTracks).toHaveLength(1);
    expect(proxy).toBeUndefined();
    expect(result.thumbnails?.count).toBe(3);
    // Every entry of the index is a whole PNG of the pack.
    const offsets = result.thumbnails!.offsets;
    expect(offsets.at(-1)).toBe(pack!.body.length);
    const first = pack!.body.subarray(offsets[0], offsets[1]);
    expect(first.subarray(1, 4).toString()).toBe('PNG');
    expect(first.readUInt32BE(16)).toBe(120); // IHDR width: 320x240 fitted in 160x90
    expect(first.readUInt32BE(20)).toBe(90);
    expect(Buffer.from(result.thumbnail, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect([...stages]).toEqual(['assemble', 'prepare_thumbnails']);
  });

  it.each([
    ['hevc.mp4', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1'], /hevc video/],
    ['prores.mov', ['-c:v', 'prores_ks', '-profile:v', '0', '-c:a', 'pcm_s16le'], /prores video/],
    ['mpeg2.ts', ['-c:v', 'mpeg2video', '-c:a', 'mp2'], /ts does not play in browsers; mpeg2video video/],
    ['mpeg2.mxf', ['-c:v', 'mpeg2video', '-c:a', 'pcm_s16le', '-ar', '48000'], /mxf does not play/],
    ['interlaced.mp4', ['-c:v', 'libx264', '-flags', '+ildct+ilme', '-x264opts', 'tff=1', '-c:a', 'aac'], /interlaced/],
    ['yuv422.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv422p', '-c:a', 'aac'], /yuv422p/],
  ])('makes a browser-playable H.264 proxy of %s', async (name, codecArgs, reason) => {
    await ffmpegCli([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25:d=2',
      '-f',
      'lavfi',
      '-i',
      'sine=d=2:r=48000',
      ...codecArgs,
      '-shortest',
      '-y',
      path.join(dir, name),
    ]);
    const { result, proxy, stages } = await run(name);
    expect(result.proxyReasons.join('; ')).toMatch(reason);
    expect(proxy?.contentType).toBe('video/mp4');
    const proxyFile = path.join(dir, `${name}.proxy.mp4`);
    await fs.writeFile(proxyFile, proxy!.body);
    const probe = await ffprobe(proxyFile);
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 320, height: 240 });
    expect(video.field_order ?? 'progressive').toBe('progressive');
    expect(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');
    expect(stages.has('convert')).toBe(true);
  });

  it('keeps VP9/Opus WebM as it is', async () => {
    await makeTestVideo(dir, 'vp9', { container: 'webm' });
    const { result, proxy } = await run('vp9.webm');
    expect(result).toMatchObject({ filetype: 'webm', mediaType: 'video', proxyReasons: [] });
    expect(proxy).toBeUndefined();
  });

  it('ingests variable frame rate video, with thumbnails across its whole duration', async () => {
    // 25 fps for a second, then 10 fps: 75 frames over 5.8 s.
    await ffmpegCli([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25:d=3',
      '-vf',
      "setpts='if(lt(N,25),N/25,1+(N-25)/10)/TB'",
      '-fps_mode',
      'vfr',
      '-c:v',
      'libx264',
      '-y',
      path.join(dir, 'vfr.mp4'),
    ]);
    const { result, proxy } = await run('vfr.mp4');
    expect(result).toMatchObject({ mediaType: 'video', proxyReasons: [] });
    expect(result.durationHns).toBeGreaterThan(5.7e7);
    expect(result.durationHns).toBeLessThanOrEqual(6e7);
    expect(proxy).toBeUndefined();
    expect(result.thumbnails?.count).toBe(6);
  });

  it('names several audio tracks', async () => {
    await ffmpegCli([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=160x120:r=25:d=1',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:d=1',
      '-f',
      'lavfi',
      '-i',
      'sine=f=880:d=1',
      '-map',
      '0',
      '-map',
      '1',
      '-map',
      '2',
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
      '-metadata:s:a:0',
      'handler_name=Dialogue',
      '-metadata:s:a:1',
      'language=fra',
      '-y',
      path.join(dir, 'tracks.mp4'),
    ]);
    const { result } = await run('tracks.mp4');
    expect(result.audioTracks).toEqual(['Dialogue', 'Track 2 (fra)']);
  });

  it('ingests audio with a waveform thumbnail and images with a scaled one', async () => {
    await makeTestAudio(dir, 'tone', { container: 'mp3' });
    const audio = await run('tone.mp3');
    expect(audio.result).toMatchObject({ filetype: 'mp3', mediaType: 'audio', width: 0, height: 0, thumbnails: null, proxyReasons: [] });
    expect(Buffer.from(audio.result.thumbnail, 'base64').readUInt32BE(16)).toBe(320); // waveform, twice the box wide

    await ffmpegCli(['-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'aac', '-y', path.join(dir, 'voice.m4a')]);
    expect((await run('voice.m4a')).result).toMatchObject({ filetype: 'm4a', mediaType: 'audio', proxyReasons: [] });

    await makeTestImage(dir, 'still', { width: 640, height: 480 });
    const image = await run('still.png');
    expect(image.result).toMatchObject({ filetype: 'png', mediaType: 'image', width: 640, height: 480, durationHns: 0, thumbnails: null });
    await ffmpegCli(['-f', 'lavfi', '-i', 'testsrc2=s=320x200', '-frames:v', '1', '-y', path.join(dir, 'photo.jpg')]);
    expect((await run('photo.jpg')).result).toMatchObject({ filetype: 'jpg', mediaType: 'image' });
  });

  it('joins upload chunks in order and stores the original', async () => {
    const file = await makeTestVideo(dir, 'chunked', { durationS: 2 });
    const bytes = await fs.readFile(file);
    const cut = [0, 1000, 50_000, bytes.length];
    for (let i = 0; i < 3; i++) await fs.writeFile(path.join(dir, `chunk${i}`), bytes.subarray(cut[i], cut[i + 1]));
    // The middle chunk was sent twice, the second time from an earlier offset: 200 bytes overlap.
    await fs.writeFile(path.join(dir, 'chunk1b'), bytes.subarray(cut[1]! - 200, cut[2]));
    const parts = [{ url: `${store.url}/get/chunk0` }, { url: `${store.url}/get/chunk1b`, skipBytes: 200 }, { url: `${store.url}/get/chunk2` }];
    const { result, original } = await run('chunked.mp4', { parts });
    expect(result.sizeBytes).toBe(bytes.length);
    expect(original!.body.equals(bytes)).toBe(true);
    expect(result.mediaType).toBe('video');
  });

  it('refuses what is not media: a text file named .mp4, a truncated MP4', async () => {
    await fs.writeFile(path.join(dir, 'notes.mp4'), 'these are my notes, not a video\n'.repeat(50));
    const text = await run('notes.mp4').catch((e) => e);
    expect(text).toBeInstanceOf(TaskFailure);
    expect(text.report).toMatchObject({ type: 'engine_error', code: 'unsupported_media' });
    expect(text.retryable).toBe(false);

    const whole = await fs.readFile(await makeTestVideo(dir, 'whole', { durationS: 2 }));
    await fs.writeFile(path.join(dir, 'truncated.mp4'), whole.subarray(0, Math.floor(whole.length / 3)));
    const truncated = await run('truncated.mp4').catch((e) => e);
    expect(truncated).toBeInstanceOf(TaskFailure);
    expect(truncated.report.code).toBe('unsupported_media');
  });

  /** Width and height of a PNG, from its IHDR. */
  const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });
  const lavfi = (seconds: number, size = '320x240') => [
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=${size}:r=25:d=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=d=${seconds}:r=48000`,
  ];

  /**
   * Shapes that cameras, phones, broadcast and editing tools really write. Each must end with a
   * poster, a thumbnail per second of video, and a proxy the browser plays when one is needed.
   */
  const shapes: Array<{
    name: string;
    make: (file: string) => Promise<unknown>;
    expected: { mediaType: string; filetype: string; width: number; height: number; seconds: number };
    proxyReason?: RegExp;
    poster?: 'portrait' | 'landscape' | 'waveform';
  }> = [
    {
      name: 'interlaced-mp2.ts',
      make: (file) =>
        ffmpegCli([
          ...lavfi(8),
          '-vf',
          'tinterlace=interleave_top',
          '-t',
          '4',
          '-c:v',
          'libx264',
          '-flags',
          '+ildct+ilme',
          '-c:a',
          'mp2',
          '-f',
          'mpegts',
          '-y',
          file,
        ]),
      expected: { mediaType: 'video', filetype: 'ts', width: 320, height: 240, seconds: 4 },
      proxyReason: /interlaced video; mp2 audio/,
    },
    {
      name: 'odd-size.mp4',
      make: (file) => ffmpegCli([...lavfi(2), '-vf', 'scale=321:241', '-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-c:a', 'aac', '-y', file]),
      expected: { mediaType: 'video', filetype: 'mp4', width: 321, height: 241, seconds: 2 },
      proxyReason: /yuv444p/,
    },
    {
      name: 'odd-size.webm',
      make: (file) =>
        ffmpegCli([
          '-f',
          'lavfi',
          '-i',
          'testsrc2=s=320x240:r=25:d=2',
          '-vf',
          'scale=321:241',
          '-c:v',
          'libvpx-vp9',
          '-deadline',
          'realtime',
          '-cpu-used',
          '8',
          '-y',
          file,
        ]),
      expected: { mediaType: 'video', filetype: 'webm', width: 321, height: 241, seconds: 2 },
    },
    {
      name: 'rotated.mp4',
      make: async (file) => {
        await ffmpegCli([...lavfi(2), '-c:v', 'libx264', '-c:a', 'aac', '-y', `${file}.plain.mp4`]);
        // A phone held upright: landscape pixels, a display matrix turning them a quarter.
        await ffmpegCli(['-i', `${file}.plain.mp4`, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', '-y', file]);
      },
      expected: { mediaType: 'video', filetype: 'mp4', width: 240, height: 320, seconds: 2 },
      poster: 'portrait',
    },
    {
      name: 'vfr.mkv',
      make: (file) =>
        ffmpegCli([
          '-f',
          'lavfi',
          '-i',
          'testsrc2=s=320x240:r=25:d=3',
          '-vf',
          "setpts='if(lt(N,25),N/25,1+(N-25)/10)/TB'",
          '-fps_mode',
          'vfr',
          '-c:v',
          'libx264',
          '-y',
          file,
        ]),
      expected: { mediaType: 'video', filetype: 'mkv', width: 320, height: 240, seconds: 6 },
      proxyReason: /mkv does not play/,
    },
    {
      name: 'cover-art.mp3',
      make: async (file) => {
        await ffmpegCli(['-f', 'lavfi', '-i', 'testsrc2=s=200x200', '-frames:v', '1', '-y', `${file}.png`]);
        await ffmpegCli([
          '-f',
          'lavfi',
          '-i',
          'sine=d=3',
          '-i',
          `${file}.png`,
          '-map',
          '0',
          '-map',
          '1',
          '-c:a',
          'libmp3lame',
          '-c:v',
          'png',
          '-disposition:v',
          'attached_pic',
          '-id3v2_version',
          '3',
          '-y',
          file,
        ]);
      },
      expected: { mediaType: 'audio', filetype: 'mp3', width: 0, height: 0, seconds: 3 },
      poster: 'waveform',
    },
    {
      name: '10-bit.mp4',
      make: (file) => ffmpegCli([...lavfi(2), '-c:v', 'libx264', '-pix_fmt', 'yuv420p10le', '-c:a', 'aac', '-y', file]),
      expected: { mediaType: 'video', filetype: 'mp4', width: 320, height: 240, seconds: 2 },
      proxyReason: /yuv420p10le pictures/,
    },
    {
      name: 'alpha.mov',
      make: (file) => ffmpegCli(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=2', '-c:v', 'qtrle', '-pix_fmt', 'argb', '-y', file]),
      expected: { mediaType: 'video', filetype: 'mov', width: 320, height: 240, seconds: 2 },
      proxyReason: /qtrle video/,
    },
    {
      name: 'alpha.png',
      make: (file) => ffmpegCli(['-f', 'lavfi', '-i', 'testsrc2=s=300x200', '-frames:v', '1', '-vf', 'format=rgba,colorchannelmixer=aa=0.5', '-y', file]),
      expected: { mediaType: 'image', filetype: 'png', width: 300, height: 200, seconds: 0 },
    },
  ];

  it.each(shapes)('ingests $name whole: probe, poster, thumbnails and a playable proxy when needed', async (shape) => {
    await shape.make(path.join(dir, shape.name));
    const { result, proxy, pack } = await run(shape.name);
    const { seconds, ...described } = shape.expected;
    expect(result).toMatchObject(described);
    expect(result.durationHns / 1e7).toBeCloseTo(seconds, 0);

    const poster = Buffer.from(result.thumbnail, 'base64');
    expect(poster.subarray(1, 4).toString()).toBe('PNG');
    const posterSize = pngSize(poster);
    if (shape.poster === 'waveform') expect(posterSize).toEqual({ width: 320, height: 90 });
    else if (shape.poster === 'portrait') expect(posterSize.height).toBeGreaterThan(posterSize.width);
    else expect(posterSize.width).toBeGreaterThan(posterSize.height);

    if (result.mediaType === 'video') {
      expect(result.thumbnails!.count).toBeGreaterThanOrEqual(Math.floor(seconds));
      expect(result.thumbnails!.offsets.at(-1)).toBe(pack!.body.length);
      const first = pack!.body.subarray(result.thumbnails!.offsets[0], result.thumbnails!.offsets[1]);
      expect(pngSize(first).height > pngSize(first).width).toBe(shape.poster === 'portrait');
    } else {
      expect(result.thumbnails).toBeNull();
    }

    if (!shape.proxyReason) {
      expect(result.proxyReasons).toEqual([]);
      expect(proxy).toBeUndefined();
      return;
    }
    expect(result.proxyReasons.join('; ')).toMatch(shape.proxyReason);
    const proxyFile = path.join(dir, `${shape.name}.proxy.mp4`);
    await fs.writeFile(proxyFile, proxy!.body);
    const probe = await ffprobe(proxyFile);
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p' });
    expect(video.field_order ?? 'progressive').toBe('progressive');
    expect((video.width! % 2) + (video.height! % 2)).toBe(0);
    expect(Number(probe.format.duration)).toBeCloseTo(seconds, 0);
  });

  it('reports a missing source as a download error', async () => {
    const missing = await run('nothing-here.mp4').catch((e) => e);
    expect(missing.report).toMatchObject({ type: 'download_error', code: 'download_failed' });
    expect(missing.report.message).toMatch(/404/);
  });
});
