import { describe, expect, it } from 'vitest';
import { RenderError } from '../engine/render-error.js';
import type { ResolvedSource } from '../engine/sources.js';
import { renderFailure } from './render-failure.js';

/** What a user and another attempt see of an engine failure while a stored source is read. */

const signed = 'http://store.example:9000/media/u/m/original.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc123';
const source = (input: string): ResolvedSource => ({ input, probe: {} as ResolvedSource['probe'] });

describe('renderFailure', () => {
  it('never shows a signed URL, and tries again when the store could not be reached', () => {
    const error = new RenderError('source_unreadable', `the sources could not be read: Connection refused | ${signed}`);
    const failure = renderFailure(error, new Map([['a', source(signed)]]));
    expect(failure.report).toMatchObject({ type: 'engine_error', code: 'source_unreadable' });
    expect(failure.report.message).not.toMatch(/X-Amz-Signature/);
    expect(failure.report.message).toContain('http://store.example:9000/media/u/m/original.mp4');
    expect(failure.retryable).toBe(true);
  });

  it('does not try again for a file that cannot be read, or for a local one', () => {
    const broken = new RenderError('source_unreadable', `source ${signed} could not be read: Invalid data found when processing input`);
    expect(renderFailure(broken, new Map([['a', source(signed)]])).retryable).toBe(false);
    const local = new RenderError('source_unreadable', 'source /data/x.mp4 could not be read: Connection refused');
    expect(renderFailure(local, new Map([['a', source('/data/x.mp4')]])).retryable).toBe(false);
    expect(renderFailure(new RenderError('output_failed', 'no space'), new Map()).retryable).toBe(true);
  });
});
