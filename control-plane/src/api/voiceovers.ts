import { z } from 'zod';
import { badRequest, HttpError } from '../http/errors.js';
import { Reply, type ApiRouter } from '../http/route.js';
import type { VoiceoverService } from '../services/voiceover/voiceovers.js';

const candidate = z.union([
  z.object({
    candidate: z.string().max(2000),
    sdpMid: z.string().max(100).nullish(),
    sdpMLineIndex: z.number().int().min(0).max(1000).nullish(),
  }),
  z.string().max(2000),
]);

const offerBody = z.object({
  sdpOffer: z
    .union([z.string().min(1).max(200_000), z.object({ type: z.string(), sdp: z.string().min(1).max(200_000) })])
    .describe(
      'The SDP offer the browser made (`WebRtcPeer.generateOffer`, or `RTCPeerConnection.createOffer().sdp`); an RTCSessionDescriptionInit `{type, sdp}` works too.',
    ),
  iceCandidates: z
    .array(candidate)
    .max(200)
    .default([])
    .describe('The candidates the browser gathered (RTCIceCandidate JSON or candidate strings); may be empty when the SDP holds them.'),
});

const answerCandidate = z.object({ candidate: z.string(), sdpMid: z.string().nullable(), sdpMLineIndex: z.number().nullable() });
const idParams = z.object({ id: z.string().min(1).max(200) });
const errorObject = z.object({ error: z.object({ type: z.string(), message: z.string(), title: z.string().optional() }) });

export function mountVoiceovers(api: ApiRouter, voiceovers: VoiceoverService): void {
  api.route({
    method: 'post',
    path: '/api/voiceovers',
    summary: "Open a voiceover session: answer the browser's WebRTC offer",
    description:
      "The offer must send audio in Opus (every browser does). The answer holds the server's candidates, also listed in `iceCandidates`. " +
      'Nothing is recorded until `PUT`. A session that has not started recording after VOICEOVER_IDLE_TIMEOUT_SECONDS is closed. ' +
      'Later requests for the session must reach the same control-plane replica (see the operations guide).',
    auth: 'user',
    body: offerBody,
    responses: {
      200: {
        description: 'The session',
        schema: z.object({ id: z.string(), sdpAnswer: z.string(), iceCandidates: z.array(answerCandidate) }),
      },
      400: { description: 'Not an offer, no audio m-line, no Opus, or a bad candidate: the message says which', schema: errorObject },
      503: { description: 'VOICEOVER_MAX_SESSIONS sessions are open on this server', schema: errorObject },
    },
    handler: async ({ auth, body }) => {
      if (typeof body.sdpOffer === 'object' && body.sdpOffer.type !== 'offer') {
        throw badRequest(`sdpOffer is an ${JSON.stringify(body.sdpOffer.type)}, not an offer: send what createOffer() made`);
      }
      const sdpOffer = typeof body.sdpOffer === 'string' ? body.sdpOffer : body.sdpOffer.sdp;
      return voiceovers.create(auth.id, { sdpOffer, iceCandidates: body.iceCandidates });
    },
  });

  api.route({
    method: 'put',
    path: '/api/voiceovers/:id',
    summary: 'Start recording',
    description:
      'The recording starts when this answers. `name` names the media file (default: "Voiceover" and the start time). ' +
      'As in the editor API, `error` is a string: empty on success, else what was wrong (404 no such session of this user, ' +
      '400 already recording or a bad name, 507 the storage quota is used up).',
    auth: 'user',
    params: idParams,
    // Checked in the handler, so that every refusal has the editor API's `{error: "..."}` shape.
    body: z.object({ name: z.unknown().optional().describe('The file name of the recording (a string, at most 255 characters).') }),
    responses: {
      200: { description: 'Recording', schema: z.object({ error: z.literal('') }) },
      400: { description: 'Already recording, or a bad name', schema: z.object({ error: z.string() }) },
      404: { description: 'No such session of this user', schema: z.object({ error: z.string() }) },
    },
    handler: async ({ auth, params, body }) => {
      try {
        if (body.name !== undefined && body.name !== null && typeof body.name !== 'string') throw badRequest('name must be a string');
        await voiceovers.startRecording(auth.id, params.id, typeof body.name === 'string' ? body.name : undefined);
        return { error: '' };
      } catch (error) {
        if (error instanceof HttpError) return new Reply(error.status, { error: error.message });
        throw error;
      }
    },
  });

  api.route({
    method: 'delete',
    path: '/api/voiceovers/:id',
    summary: 'Stop a voiceover session; with keepRecording=1 the recording becomes a media file',
    description:
      'The recording ends when this request arrives; its length is the time from the PUT answer to now, silence filling what did not arrive. ' +
      'With `keepRecording=1` it becomes an audio media file of type `voiceover` (listed with `filter=voiceover`), ' +
      'ingested like an upload; `mediaId` (an extension) names it. Without it, the recording is discarded.',
    auth: 'user',
    params: idParams,
    query: z.object({
      keepRecording: z.enum(['1', '0', 'true', 'false']).optional().describe('`1` keeps the recording as a media file; absent or `0` discards it.'),
    }),
    responses: {
      200: { description: 'Stopped', schema: z.object({ mediaId: z.string().optional() }) },
      404: { description: 'No such session of this user', schema: errorObject },
    },
    handler: async ({ auth, params, query, res }) => {
      const receivedAtMs = typeof res.locals.receivedAtMs === 'number' ? res.locals.receivedAtMs : Date.now();
      const keep = query.keepRecording === '1' || query.keepRecording === 'true';
      return voiceovers.stop(auth.id, params.id, keep, receivedAtMs);
    },
  });
}
