/**
 * Forwards a child's output line by line, with bounds: a render node that floods its stderr
 * (megabytes without a newline, or millions of lines) must not grow the control plane's memory
 * nor drown its log. Lines are cut at `maxLineChars`; after `maxLines` lines the rest is read
 * and dropped (the child never blocks on a full pipe), with one line saying so.
 */
export interface LineBounds {
  maxLineChars: number;
  maxLines: number;
}

export const RENDER_NODE_OUTPUT_BOUNDS: LineBounds = { maxLineChars: 8192, maxLines: 2000 };

export function forwardBoundedLines(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  onDropped: (lines: number) => void,
  bounds: LineBounds = RENDER_NODE_OUTPUT_BOUNDS,
): void {
  let buffered = '';
  /** The current line was already cut: the rest of it, up to its newline, is skipped. */
  let skippingRest = false;
  let forwarded = 0;
  const emit = (line: string) => {
    if (!line.trim()) return;
    forwarded += 1;
    if (forwarded <= bounds.maxLines) onLine(line);
    else if (forwarded === bounds.maxLines + 1) onDropped(bounds.maxLines);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      const piece = newline === -1 ? chunk.slice(start) : chunk.slice(start, newline);
      if (!skippingRest) {
        buffered += piece;
        if (buffered.length > bounds.maxLineChars) {
          emit(`${buffered.slice(0, bounds.maxLineChars)}… (line cut)`);
          buffered = '';
          skippingRest = true;
        }
      }
      if (newline === -1) return;
      if (!skippingRest) emit(buffered);
      buffered = '';
      skippingRest = false;
      start = newline + 1;
    }
  });
}
