/**
 * Keeps the last bytes a child wrote to stderr: enough for an error message, bounded however
 * long a render runs and however chatty the tool is.
 */
export class StderrTail {
  private chunks: Buffer[] = [];
  private sizeBytes = 0;

  constructor(private readonly limitBytes = 16 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.sizeBytes += chunk.length;
    while (this.sizeBytes - (this.chunks[0]?.length ?? 0) >= this.limitBytes && this.chunks.length > 1) {
      this.sizeBytes -= this.chunks.shift()!.length;
    }
  }

  /** The kept text, starting at a line boundary when the start was cut off. */
  text(): string {
    let buffer = Buffer.concat(this.chunks);
    if (buffer.length > this.limitBytes) {
      buffer = buffer.subarray(buffer.length - this.limitBytes);
      const newline = buffer.indexOf(0x0a);
      if (newline >= 0 && newline < buffer.length - 1) buffer = buffer.subarray(newline + 1);
    }
    return buffer.toString('utf8');
  }
}
