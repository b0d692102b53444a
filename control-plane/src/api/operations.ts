import { z } from 'zod';
import type { ApiRouter } from '../http/route.js';
import { Reply } from '../http/route.js';
import type { Metrics } from '../metrics.js';
import type { StatsService } from '../services/operations/stats.js';
import { versionString } from '../version.js';

export interface OperationsDeps {
  stats: StatsService;
  metrics: Metrics;
  openapi: () => Record<string, unknown>;
  /** Resolves when the database answers and every migration is applied; throws otherwise. */
  ready: () => Promise<void>;
}

const statSchema = z.object({
  activeUsersCount: z.number().int(),
  activeBuildThumbsTasksCount: z.number().int(),
  activeRenderTasksCount: z.number().int(),
  activeImportFromURLTasksCount: z.number().int(),
  activeImportFromLocalDriveCount: z.number().int(),
  activeVoiceoverSessionsCount: z.number().int().describe('Extension: voiceover sessions open on every replica.'),
});

export function mountOperations(api: ApiRouter, deps: OperationsDeps): void {
  const version = versionString();
  api.route({
    method: 'get',
    path: '/api/version',
    summary: 'Backend version (major.minor.YYMM.DD)',
    auth: 'none',
    responses: { 200: { description: 'Version', schema: z.object({ version: z.string() }) } },
    handler: async () => ({ version }),
  });

  api.route({
    method: 'get',
    path: '/api/stat',
    summary: 'Live statistics',
    auth: 'none',
    responses: { 200: { description: 'Counts', schema: statSchema } },
    handler: () => deps.stats.stat(),
  });

  api.route({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.object({}).passthrough() } },
    handler: async () => deps.openapi(),
  });

  api.route({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process serves requests',
    auth: 'none',
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' }),
  });

  api.route({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the database answers and its migrations are applied',
    auth: 'none',
    responses: {
      200: { description: 'Ready', schema: z.object({ status: z.string() }) },
      503: { description: 'Not ready', schema: z.object({ status: z.string(), reason: z.string() }) },
    },
    handler: async () => {
      try {
        await deps.ready();
        return { status: 'ready' };
      } catch (error) {
        return new Reply(503, { status: 'not_ready', reason: (error as Error).message });
      }
    },
  });

  api.route({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    auth: 'none',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
    handler: async ({ res }) => {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  });
}
