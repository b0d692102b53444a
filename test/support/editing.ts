import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import type { ApiClient } from './api-client.js';

const run = promisify(execFile);

/** Helpers for editing-task tests: follow a task through the API, and look at what it made. */

export interface EditingStatus {
  id: string;
  progress: number;
  status: string;
  error: { type: string; code: string; message: string } | null;
  outputUrls: string[];
}

export interface Followed {
  last: EditingStatus;
  /** Every distinct status seen, in order. */
  statuses: string[];
  progressSeen: number[];
}

/** Polls `GET /api/task/editing` until the task ends (or `until` holds); records what it saw. */
export async function followEditing(
  api: ApiClient,
  taskId: string,
  options: { timeoutMs?: number; until?: (s: EditingStatus) => boolean; intervalMs?: number } = {},
): Promise<Followed> {
  const statuses: string[] = [];
  const progressSeen: number[] = [];
  const done = options.until ?? ((s: EditingStatus) => ['completed', 'error', 'aborted'].includes(s.status));
  const last = await vi.waitFor(
    async () => {
      const res = await api.get(`/api/task/editing?id=${taskId}`);
      if (res.status !== 200) throw new Error(`GET /api/task/editing: ${res.status} ${res.text}`);
      const status = res.body as EditingStatus;
      if (statuses.at(-1) !== status.status) statuses.push(status.status);
      progressSeen.push(status.progress);
      if (!done(status)) throw new Error(`editing task ${taskId} still ${status.status} (${status.progress}%) after the timeout`);
      return status;
    },
    { timeout: options.timeoutMs ?? 60_000, interval: options.intervalMs ?? 50 },
  );
  return { last, statuses, progressSeen };
}

export interface ProbedOutput {
  durationS: number;
  /** Decoded picture frames (0 without a picture). */
  frames: number;
  width: number;
  height: number;
  hasAudio: boolean;
  formatName: string;
}

/** Decodes a file with ffprobe and counts its frames: what a viewer would get. */
export async function probeOutput(file: string): Promise<ProbedOutput> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-show_entries',
    'format=duration,format_name:stream=codec_type,nb_read_frames,width,height',
    '-of',
    'json',
    file,
  ]);
  const json = JSON.parse(stdout) as {
    format: { duration: string; format_name: string };
    streams: Array<{ codec_type: string; nb_read_frames?: string; width?: number; height?: number }>;
  };
  const video = json.streams.find((s) => s.codec_type === 'video');
  return {
    durationS: Number(json.format.duration),
    frames: Number(video?.nb_read_frames ?? 0),
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    hasAudio: json.streams.some((s) => s.codec_type === 'audio'),
    formatName: json.format.format_name,
  };
}

/** Fetches a URL into a temporary file (failing on anything but 200). */
export async function downloadUrl(url: string, name = 'download'): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-dl-'));
  const file = path.join(dir, name);
  await fs.writeFile(file, Buffer.from(await response.arrayBuffer()));
  return file;
}

/** `<timelines>` around groups. */
export function xtl(...groups: string[]): string {
  return `<timelines version="2">\n<timeline>\n${groups.join('\n')}\n</timeline>\n</timelines>`;
}

/** A clip in the editor API's form (in and out points in the source, time10ms). */
export function clip(src: string, start: string, stop: string, extra = ''): string {
  return `<clip src="${src}" start="${start}" stop="${stop}" timeFormat="time10ms"${extra}/>`;
}
