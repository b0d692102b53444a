import { defaultBinaries, type FfmpegBinaries } from './binaries.js';
import { FfmpegUnavailableError } from './errors.js';
import { spawnTool } from './spawn-tool.js';

export interface FfmpegInstallation {
  ffmpegPath: string;
  ffprobePath: string;
  /** The version string ffmpeg prints (`5.1.9-0+deb12u1`, `N-112345-g...` for git builds). */
  version: string;
  /** Major version; undefined for git builds, which are taken as new enough. */
  major: number | undefined;
  /** Encoder names this build has (`libx264`, `h264_nvenc`...). */
  encoders: Set<string>;
}

export const MIN_FFMPEG_MAJOR = 5;

export function parseFfmpegVersion(firstLine: string): { version: string; major: number | undefined } | undefined {
  const match = /version\s+(\S+)/.exec(firstLine);
  if (!match) return undefined;
  const version = match[1]!;
  const numeric = /^n?(\d+)\.(\d+)/.exec(version);
  return { version, major: numeric ? Number(numeric[1]) : undefined };
}

async function versionOf(tool: 'ffmpeg' | 'ffprobe', command: string): Promise<{ version: string; major: number | undefined }> {
  let stdout: string;
  try {
    ({ stdout } = await spawnTool({ command, args: ['-hide_banner', '-version'], collectStdout: true }));
  } catch (error) {
    if (error instanceof FfmpegUnavailableError) throw error;
    throw new FfmpegUnavailableError(tool, 'unusable', `${command} -version failed: ${(error as Error).message}`);
  }
  const parsed = parseFfmpegVersion(stdout.split('\n')[0] ?? '');
  if (!parsed) throw new FfmpegUnavailableError(tool, 'unusable', `${command} does not look like ${tool}: it printed no version`);
  if (parsed.major !== undefined && parsed.major < MIN_FFMPEG_MAJOR) {
    throw new FfmpegUnavailableError(
      tool,
      'too_old',
      `${tool} ${parsed.version} at ${command} is too old: version ${MIN_FFMPEG_MAJOR} or newer is needed (for xfade, amix normalize and NVENC presets)`,
    );
  }
  return parsed;
}

/**
 * Checks at start-up that ffmpeg and ffprobe are there and new enough, and lists the encoders.
 * Throws FfmpegUnavailableError with a message that says what to install or set.
 */
export async function checkFfmpeg(binaries: FfmpegBinaries = defaultBinaries()): Promise<FfmpegInstallation> {
  const ffmpeg = await versionOf('ffmpeg', binaries.ffmpeg);
  await versionOf('ffprobe', binaries.ffprobe);
  const { stdout } = await spawnTool({ command: binaries.ffmpeg, args: ['-hide_banner', '-encoders'], collectStdout: true });
  const encoders = new Set<string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s[VAS][F.][S.][X.][B.][D.]\s+([A-Za-z0-9_-]+)\s/.exec(line);
    if (match) encoders.add(match[1]!);
  }
  return { ffmpegPath: binaries.ffmpeg, ffprobePath: binaries.ffprobe, ...ffmpeg, encoders };
}
