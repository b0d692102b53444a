import { probeMediaInfo } from '../ffmpeg/media-info.js';
import type { SourceResolver } from '../engine/sources.js';
import { renderTimeline, type RenderTimelineOptions } from '../engine/render-timeline.js';
import { parseXtl } from '../xtl/parse-xtl.js';

/** A resolver over local files named by src, probing each with ffprobe as the node would. */
export function fileResolver(files: Record<string, string>): SourceResolver {
  return async (src) => {
    const input = files[src];
    if (input === undefined) throw new Error(`no media "${src}"`);
    return { input, probe: await probeMediaInfo(input) };
  };
}

/** `<timelines>` around groups written as XML. */
export function timelines(...groups: string[]): string {
  return `<timelines version="2">\n<timeline>\n${groups.join('\n')}\n</timeline>\n</timelines>`;
}

export interface LoggedLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

export async function renderXtl(xml: string, files: Record<string, string>, options: Omit<RenderTimelineOptions, 'timeline' | 'resolveSource'>) {
  const lines: LoggedLine[] = [];
  const result = await renderTimeline({
    timeline: parseXtl(xml),
    resolveSource: fileResolver(files),
    log: {
      info: (fields, message) => lines.push({ level: 'info', fields, message }),
      warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    },
    ...options,
  });
  return { ...result, log: lines };
}
