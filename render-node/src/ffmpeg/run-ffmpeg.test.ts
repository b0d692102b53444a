import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeTool, makeTestAudio, makeTestImage, makeTestVideo, tempDir } from '../test-support/lavfi-media.js';
import { loadRenderNodeConfig } from '../config.js';
import { checkFfmpeg } from './check-ffmpeg.js';
import { checkFfmpegRemembered } from './remembered-check.js';
import { FfmpegAbortedError, FfmpegError, FfmpegUnavailableError } from './errors.js';
import { ffprobe, listKeyframes } from './ffprobe.js';
import { probeMediaInfo } from './media-info.js';
import type { FfmpegProgress } from './progress-reader.js';
import { runFfmpeg } from './run-ffmpeg.js';
import { runningChildCount, spawnTool } from './spawn-tool.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Whether a process still runs (a zombie waiting to be reaped does not). */
function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

let work: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => {
  await work.remove();
});

describe('runFfmpeg', () => {
  it('reports progress as a fraction of the expected duration that rises to 1', async () => {
    const seen: FfmpegProgress[] = [];
    const out = path.join(work.dir, 'progress.mp4');
    await runFfmpeg({
      // -re paces the input at real time, so ffmpeg reports several times along the way.
      args: ['-re', '-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=2', '-stats_period', '0.2', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', out],
      expectedDurationS: 2,
      onProgress: (p) => seen.push(p),
    });
    const fractions = seen.map((p) => p.fraction!);
    expect(fractions.length).toBeGreaterThanOrEqual(3);
    expect(fractions.some((f) => f > 0.2 && f < 0.99)).toBe(true);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.at(-1)).toBe(1);
    expect(seen.at(-1)!.done).toBe(true);
    expect(seen.at(-1)!.outTimeUs).toBeGreaterThan(1.9e6);
    expect((await fs.stat(out)).size).toBeGreaterThan(1000);
  });

  it('stops the child when the signal aborts, and rejects only once it is gone', async () => {
    const controller = new AbortController();
    let pid = 0;
    const out = path.join(work.dir, 'aborted.mp4');
    const run = runFfmpeg({
      args: ['-re', '-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=30', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', out],
      expectedDurationS: 30,
      signal: controller.signal,
      onStart: (p) => (pid = p),
      onProgress: (p) => {
        if (p.outTimeUs > 0) controller.abort();
      },
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegAbortedError);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
    expect(runningChildCount()).toBe(0);
  });

  it('kills a child that ignores SIGTERM after the grace period', async () => {
    const stubborn = await fakeTool(work.dir, 'stubborn', 'ffmpeg version 6.0', `trap '' TERM\necho started\nwhile :; do sleep 0.05; done`);
    const controller = new AbortController();
    let pid = 0;
    const run = spawnTool({
      command: stubborn,
      args: [],
      signal: controller.signal,
      onStart: (p) => (pid = p),
      onStdoutLine: () => controller.abort(),
      killGraceMs: 300,
    });
    // Were it never killed, this would hang (the child ignores SIGTERM) until the test times out.
    await expect(run).rejects.toBeInstanceOf(FfmpegAbortedError);
    expect(isAlive(pid)).toBe(false);
  });

  it('takes its ffmpeg child down with it when the process is killed', async () => {
    const script = path.join(work.dir, 'parent.mts');
    await fs.writeFile(
      script,
      `import { runFfmpeg } from ${JSON.stringify(path.join(here, 'run-ffmpeg.ts'))};\n` +
        `await runFfmpeg({ args: ['-re', '-f', 'lavfi', '-i', 'testsrc2=d=60', '-f', 'null', '-'], onStart: (pid) => console.log(pid) });\n`,
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(here, '../../..') });
    const childPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      parent.once('close', (code) => reject(new Error(`parent exited early with ${code}`)));
    });
    expect(isAlive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    await new Promise((resolve) => parent.once('close', resolve));
    await expect.poll(() => isAlive(childPid), { timeout: 5000, interval: 50 }).toBe(false);
  });

  it('rejects with the exit code and the end of stderr when ffmpeg fails', async () => {
    const error = (await runFfmpeg({ args: ['-i', path.join(work.dir, 'no-such-input.mp4'), '-f', 'null', '-'] }).catch((e: unknown) => e)) as FfmpegError;
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error.exitCode).not.toBe(0);
    expect(error.stderrTail).toContain('No such file or directory');
    expect(error.message).toContain('No such file or directory');
  });

  it('says clearly when ffmpeg is missing', async () => {
    const atPath = await runFfmpeg({ args: ['-version'], ffmpegPath: '/nonexistent/ffmpeg' }).catch((e: unknown) => e);
    expect(atPath).toBeInstanceOf(FfmpegUnavailableError);
    expect((atPath as FfmpegUnavailableError).reason).toBe('missing');
    expect((atPath as Error).message).toMatch(/not found at \/nonexistent\/ffmpeg.*FFMPEG_PATH/);

    const onPath = await checkFfmpeg({ ffmpeg: 'ffmpeg-not-installed-here', ffprobe: 'ffprobe' }).catch((e: unknown) => e);
    expect(onPath).toBeInstanceOf(FfmpegUnavailableError);
    expect((onPath as Error).message).toMatch(/not installed.*apt-get install ffmpeg.*FFMPEG_PATH/);
  });
});

describe('checkFfmpeg', () => {
  it('accepts the installed ffmpeg and lists its encoders', async () => {
    const installation = await checkFfmpeg();
    expect(installation.major ?? 99).toBeGreaterThanOrEqual(5);
    expect(installation.encoders.has('libx264')).toBe(true);
    expect(installation.encoders.has('aac')).toBe(true);
    expect(installation.encoders.has('=')).toBe(false);
  });

  it('refuses an ffmpeg older than 5, naming the version found', async () => {
    const old = await fakeTool(work.dir, 'ffmpeg-old', 'ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021');
    const error = await checkFfmpeg({ ffmpeg: old, ffprobe: 'ffprobe' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegUnavailableError);
    expect((error as FfmpegUnavailableError).reason).toBe('too_old');
    expect((error as Error).message).toContain('4.4.2');
  });

  it('remembers a passed check for the same binaries, and checks a replaced or refused one again', async () => {
    const dir = await fs.mkdtemp(path.join(work.dir, 'remembered-'));
    const ffmpeg = path.join(dir, 'ffmpeg');
    const runs = path.join(dir, 'runs');
    const binaries = { ffmpeg, ffprobe: 'ffprobe' };
    // A stand-in ffmpeg (a new file each time) that counts its runs and lists one encoder.
    const install = async (version: string) => {
      await fs.rm(ffmpeg, { force: true });
      const versionFlag = `for a in "$@"; do [ "$a" = "-version" ] && { echo "ffmpeg version ${version}"; exit 0; }; done`;
      await fs.writeFile(ffmpeg, `#!/bin/sh\necho run >> ${runs}\n${versionFlag}\necho " V....D libx264              H.264"\n`, { mode: 0o755 });
    };
    const runCount = async () => (await fs.readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const ranMore = async (before: number) => (await runCount()) > before;

    await install('6.0');
    const first = await checkFfmpegRemembered(binaries, dir);
    expect(first).toMatchObject({ version: '6.0', major: 6 });
    expect([...first.encoders]).toEqual(['libx264']);
    let ran = await runCount();
    expect(ran).toBeGreaterThan(0);
    // Another node on the machine: the same answer, and ffmpeg not run at all.
    expect(await checkFfmpegRemembered(binaries, dir)).toEqual(first);
    expect(await runCount()).toBe(ran);

    // Replaced by an older build: checked again and refused, and a refusal is not remembered.
    await install('4.4.2');
    for (let i = 0; i < 2; i++) {
      const refused = await checkFfmpegRemembered(binaries, dir).catch((e: unknown) => e);
      expect((refused as FfmpegUnavailableError).reason).toBe('too_old');
      expect(await ranMore(ran)).toBe(true);
      ran = await runCount();
    }

    // A remembered check that others may write is not believed.
    await install('6.0');
    await checkFfmpegRemembered(binaries, dir);
    ran = await runCount();
    for (const file of await fs.readdir(dir)) if (file.startsWith('cutroom-ffmpeg-check-')) await fs.chmod(path.join(dir, file), 0o666);
    await checkFfmpegRemembered(binaries, dir);
    expect(await ranMore(ran)).toBe(true);
  });

  it('takes the binaries from FFMPEG_PATH and FFPROBE_PATH, absolute only', () => {
    expect(loadRenderNodeConfig({ FFMPEG_PATH: '/opt/ff/bin/ffmpeg' }).ffmpegPath).toBe('/opt/ff/bin/ffmpeg');
    expect(loadRenderNodeConfig({}).ffprobePath).toBe('ffprobe');
    expect(() => loadRenderNodeConfig({ FFPROBE_PATH: 'bin/ffprobe' })).toThrow(/FFPROBE_PATH/);
  });
});

describe('ffprobe', () => {
  it('returns typed format and streams, packet counts and keyframes', async () => {
    const file = await makeTestVideo(work.dir, 'probe', { durationS: 2, fps: '25', gop: 10 });
    const probe = await ffprobe(file, { countPackets: true });
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    expect(video.codec_name).toBe('h264');
    expect([video.width, video.height]).toEqual([320, 240]);
    expect(video.nb_read_packets).toBe('50');
    expect(probe.format.format_name).toContain('mp4');
    const keyframes = await listKeyframes(file);
    expect(keyframes).toEqual([0, 0.4, 0.8, 1.2, 1.6]);
  });

  it('tells videos, images and audio apart', async () => {
    const video = await probeMediaInfo(await makeTestVideo(work.dir, 'kinds', { durationS: 1, fps: '30000/1001', sampleRate: 44100 }));
    expect(video).toMatchObject({ kind: 'video', hasVideo: true, hasAudio: true, width: 320, frameRate: { num: 30000, den: 1001 }, sampleRate: 44100 });
    expect(video.durationHns).toBeGreaterThan(0.9e7);
    const image = await probeMediaInfo(await makeTestImage(work.dir, 'still'));
    expect(image).toMatchObject({ kind: 'image', durationHns: undefined, hasAudio: false, width: 160, height: 120 });
    const audio = await probeMediaInfo(await makeTestAudio(work.dir, 'tone', { container: 'mp3', durationS: 1 }));
    expect(audio).toMatchObject({ kind: 'audio', hasVideo: false, hasAudio: true, sampleRate: 44100 });
  });

  it('opens nothing but files and http(s)', async () => {
    const error = (await ffprobe('data:video/mp4;base64,AAAA').catch((e: unknown) => e)) as FfmpegError;
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error.stderrTail).toMatch(/not on whitelist/);
  });

  it('fails with the reason for a file that is not media', async () => {
    const junk = path.join(work.dir, 'junk.mp4');
    await fs.writeFile(junk, 'this is not a video');
    const error = (await ffprobe(junk).catch((e: unknown) => e)) as FfmpegError;
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error.stderrTail).toMatch(/Invalid data/);
  });
});
