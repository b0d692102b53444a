export { runFfmpeg, type RunFfmpegOptions, type RunFfmpegResult } from './run-ffmpeg.js';
export type { FfmpegProgress } from './progress-reader.js';
export {
  ffprobe,
  listKeyframes,
  listPackets,
  type FfprobeFormat,
  type FfprobeOptions,
  type FfprobeResult,
  type FfprobeStream,
  type PacketInfo,
} from './ffprobe.js';
export { mediaInfoFromProbe, probeMediaInfo, parseRational, type MediaInfo, type MediaKind, type Rational } from './media-info.js';
export { checkFfmpeg, MIN_FFMPEG_MAJOR, type FfmpegInstallation } from './check-ffmpeg.js';
export { checkFfmpegRemembered } from './remembered-check.js';
export { defaultBinaries, locateExecutable, type FfmpegBinaries } from './binaries.js';
export { FfmpegAbortedError, FfmpegError, FfmpegUnavailableError, type FfmpegUnavailableReason } from './errors.js';
export { killAllChildren, runningChildCount } from './spawn-tool.js';
