import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Test media made on the spot with ffmpeg's lavfi sources: testsrc2 (every frame differs) with
 * the frame number burned in, and a sine tone. Small, so the suite stays fast on two cores.
 */

const exec = promisify(execFile);

export async function tempDir(prefix = 'cutroom-rn-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

export async function ffmpegCli(args: string[]): Promise<string> {
  const { stdout, stderr } = await exec('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout + stderr;
}

export interface TestVideoOptions {
  durationS?: number;
  width?: number;
  height?: number;
  /** Frame rate as ffmpeg accepts it (`25`, `30000/1001`). */
  fps?: string;
  /** Keyframe interval in frames. */
  gop?: number;
  /** Audio sample rate; 0 for no audio. */
  sampleRate?: number;
  toneHz?: number;
  /** `mp4` (H.264 + AAC), `webm` (VP9 + Opus), `mov`. */
  container?: 'mp4' | 'webm' | 'mov' | 'mkv';
  /** Picture source instead of testsrc2, with its own options and a trailing colon (`color=c=red:`). */
  picture?: string;
  /** Burn the frame number in at the top left (default: yes). */
  label?: boolean;
}

export async function makeTestVideo(dir: string, name: string, options: TestVideoOptions = {}): Promise<string> {
  const {
    durationS = 2,
    width = 320,
    height = 240,
    fps = '25',
    gop = 10,
    sampleRate = 48000,
    toneHz = 440,
    container = 'mp4',
    picture,
    label = true,
  } = options;
  const file = path.join(dir, `${name}.${container}`);
  const source = picture ?? 'testsrc2=';
  const args = ['-f', 'lavfi', '-i', `${source}s=${width}x${height}:r=${fps}:d=${durationS}`];
  if (sampleRate > 0) args.push('-f', 'lavfi', '-i', `sine=f=${toneHz}:r=${sampleRate}:d=${durationS}`);
  if (label) args.push('-vf', "drawtext=text='%{frame_num}':x=8:y=8:fontsize=40:fontcolor=white:box=1:boxcolor=black");
  args.push('-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop));
  if (container === 'webm') args.push('-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-crf', '30', '-b:v', '0');
  else args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '12', '-sc_threshold', '0', '-bf', '2');
  if (sampleRate > 0) args.push('-c:a', container === 'webm' ? 'libopus' : 'aac', '-ac', '2');
  args.push('-y', file);
  await ffmpegCli(args);
  return file;
}

export async function makeTestImage(dir: string, name: string, options: { width?: number; height?: number; color?: string } = {}): Promise<string> {
  const { width = 160, height = 120, color } = options;
  const file = path.join(dir, `${name}.png`);
  const source = color ? `color=c=${color}:s=${width}x${height}` : `testsrc2=s=${width}x${height}`;
  await ffmpegCli(['-f', 'lavfi', '-i', source, '-frames:v', '1', '-y', file]);
  return file;
}

export async function makeTestAudio(
  dir: string,
  name: string,
  options: { durationS?: number; sampleRate?: number; toneHz?: number; container?: 'mp3' | 'wav' | 'm4a' } = {},
): Promise<string> {
  const { durationS = 2, sampleRate = 44100, toneHz = 660, container = 'wav' } = options;
  const file = path.join(dir, `${name}.${container}`);
  await ffmpegCli(['-f', 'lavfi', '-i', `sine=f=${toneHz}:r=${sampleRate}:d=${durationS}`, '-ac', '2', '-y', file]);
  return file;
}

/** A script standing in for ffmpeg/ffprobe: prints `version` for `-version`, otherwise runs `body`. */
export async function fakeTool(dir: string, name: string, versionLine: string, body = 'exit 0'): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\nfor a in "$@"; do [ "$a" = "-version" ] && { echo "${versionLine}"; exit 0; }; done\n${body}\n`, { mode: 0o755 });
  return file;
}
