import { z } from 'zod';
import { badRequest, messageInStatus } from '../http/errors.js';
import type { ApiRouter } from '../http/route.js';
import { OverlayRejected, type OverlayImagesService } from '../services/projects/overlay-images.js';

const body = z.object({
  // Checked by the service, so that every refusal answers the editor API's `status`.
  data: z.unknown().optional().describe('A base64-encoded PNG image (a `data:image/png;base64,` URL is accepted too).'),
});

export function mountOverlayImages(api: ApiRouter, overlays: OverlayImagesService): void {
  api.route({
    method: 'post',
    path: '/api/overlay_img',
    summary: 'Upload an overlay image (rendered text or a picture) for use in renders',
    description:
      'The image must be a PNG of at most OVERLAY_MAX_BYTES, each side at most 8192 pixels. It is deleted once its owner ' +
      'has been disconnected past TOKEN_GRACE_SECONDS, unless a running render still uses it. Every error (a refused image is a 400) ' +
      'answers `{status, id: "", error}`: `status` says why, beside the usual `error` object.',
    auth: 'user',
    body,
    errorShape: messageInStatus({ id: '' }, { id: z.string().describe('"" on errors') }),
    responses: {
      200: { description: '`status` is empty on success', schema: z.object({ status: z.string(), id: z.string() }) },
    },
    handler: async ({ auth, body }) => {
      try {
        const { id } = await overlays.create(auth.id, body.data);
        return { status: '', id };
      } catch (error) {
        if (error instanceof OverlayRejected) throw badRequest(error.message);
        throw error;
      }
    },
  });
}
