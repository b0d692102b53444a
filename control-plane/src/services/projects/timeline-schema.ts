import { z } from 'zod';
import { TIMELINE_FORMAT, TIMELINE_VERSION, type Timeline } from '@cutroom/render-node';

/**
 * The timeline JSON of imported projects (docs/timeline.md), checked before it is turned into
 * XTL: the editor may have saved anything in a project's `data` since.
 */

const frame = z.number().int().min(0);
const transition = z.object({ type: z.enum(['dissolve', 'wipe']), frames: z.number().int().min(1), wipeCode: z.number().int().optional() });
const placed = { event: z.string(), start: frame, end: frame, transitionIn: transition.optional() };

const item = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('clip'),
    ...placed,
    media: z.string().min(1),
    mediaName: z.string(),
    in: z.number().int(),
    out: z.number().int(),
    speed: z.number(),
  }),
  z.object({ type: z.literal('black'), ...placed }),
  z.object({ type: z.literal('gap'), ...placed, reason: z.string() }),
]);

export const timelineSchema = z.object({
  format: z.literal(TIMELINE_FORMAT),
  version: z.literal(TIMELINE_VERSION),
  name: z.string(),
  fps: z.string().regex(/^\d{1,7}(\/\d{1,7})?$/, 'a frame rate such as 25 or 30000/1001'),
  dropFrame: z.boolean(),
  startTimecode: z.string(),
  duration: frame,
  source: z.object({ format: z.enum(['cmx3600', 'otio', 'fcp7xml']), file: z.string(), title: z.string() }),
  tracks: z.array(z.object({ name: z.string(), kind: z.enum(['video', 'audio']), items: z.array(item) })),
  markers: z.array(z.object({ frame: z.number().int(), color: z.string(), text: z.string() })),
});

/** The timeline a project's data holds, or why it holds none. */
export function readTimeline(data: unknown): { timeline: Timeline } | { problem: string } {
  const parsed = timelineSchema.safeParse(data);
  if (parsed.success) return { timeline: parsed.data as Timeline };
  const issue = parsed.error.issues[0]!;
  return { problem: `${issue.path.length > 0 ? issue.path.join('.') : 'data'}: ${issue.message}` };
}
