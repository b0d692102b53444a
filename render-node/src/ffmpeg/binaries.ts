import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { renderNodeConfig } from '../config.js';

/** Where ffmpeg and ffprobe are: absolute paths, or bare names spawn looks up on PATH. */
export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
}

/** The binaries named by FFMPEG_PATH / FFPROBE_PATH, else looked up on PATH. */
export function defaultBinaries(): FfmpegBinaries {
  const config = renderNodeConfig();
  return { ffmpeg: config.ffmpegPath, ffprobe: config.ffprobePath };
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The absolute path an executable name or path resolves to, or undefined when there is none. */
export function locateExecutable(nameOrPath: string, searchPath = renderNodeConfig().searchPath): string | undefined {
  if (nameOrPath.includes('/')) return isExecutableFile(nameOrPath) ? nameOrPath : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, nameOrPath);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
