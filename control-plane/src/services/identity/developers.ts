import type { Kysely } from 'kysely';
import { z } from 'zod';
import { DevelopersRepository, type DeveloperChanges, type DeveloperRow } from '../../db/developers-repository.js';
import type { DB, OutputBucket } from '../../db/schema.js';
import { hashSecret, newId, newSecret } from '../../ids.js';
import { badRequest, notFound, unauthorized } from '../../http/errors.js';
import { BucketUnreachable, DeveloperBucket } from '../../integrator-systems/developer-bucket.js';

/** Developer (integrator) accounts: their API keys and integration settings. */

const httpUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

export const outputBucketSchema = z.object({
  awsBucketName: z.string().min(3).max(63),
  awsEndPoint: httpUrl.optional(),
  awsAccessKey: z.string().min(1),
  awsSecreteKey: z.string().min(1),
  awsRegion: z.string().min(1).optional(),
});

export const developerSettingsSchema = z.object({
  name: z.string().trim().min(1).max(200),
  callBackUrl: httpUrl.nullable().optional(),
  fetchFileUrl: httpUrl.nullable().optional(),
  mediaTabContentUrl: httpUrl.nullable().optional(),
  fetchThumbnailUrl: httpUrl.nullable().optional(),
  outputS3Bucket: outputBucketSchema.nullable().optional(),
});
export type DeveloperSettings = z.infer<typeof developerSettingsSchema>;

export const developerViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  apiKeyPrefix: z.string().describe('The first characters of the apiKey; the key itself is shown only once.'),
  callBackUrl: z.string().nullable(),
  fetchFileUrl: z.string().nullable(),
  mediaTabContentUrl: z.string().nullable(),
  fetchThumbnailUrl: z.string().nullable(),
  outputS3Bucket: z
    .object({
      awsBucketName: z.string(),
      awsEndPoint: z.string().optional(),
      awsAccessKey: z.string(),
      awsSecreteKey: z.string().describe('Always masked.'),
      awsRegion: z.string().optional(),
    })
    .nullable(),
  createTime: z.number(),
});
export type DeveloperView = z.infer<typeof developerViewSchema>;

const API_KEY_PREFIX = 'crk_';
const SECRET_MASK = '********';

/** Whether render outputs can be delivered to a bucket; throws BucketUnreachable with the reason. */
export type BucketCheck = (bucket: OutputBucket) => Promise<void>;

async function checkBucketReachable(bucket: OutputBucket): Promise<void> {
  const client = new DeveloperBucket(bucket);
  try {
    await client.check();
  } finally {
    client.destroy();
  }
}

export class DevelopersService {
  private readonly developers: DevelopersRepository;

  constructor(
    db: Kysely<DB>,
    private readonly checkBucket: BucketCheck = checkBucketReachable,
  ) {
    this.developers = new DevelopersRepository(db);
  }

  async create(settings: DeveloperSettings): Promise<{ id: string; apiKey: string; callbackSecret: string }> {
    if (settings.outputS3Bucket) await this.assertReachable(settings.outputS3Bucket);
    const id = newId();
    const apiKey = newSecret(API_KEY_PREFIX);
    const callbackSecret = newSecret();
    await this.developers.insert({
      id,
      name: settings.name,
      api_key_hash: hashSecret(apiKey),
      api_key_prefix: apiKey.slice(0, API_KEY_PREFIX.length + 6),
      callback_url: settings.callBackUrl ?? null,
      fetch_file_url: settings.fetchFileUrl ?? null,
      media_tab_content_url: settings.mediaTabContentUrl ?? null,
      fetch_thumbnail_url: settings.fetchThumbnailUrl ?? null,
      output_s3_bucket: settings.outputS3Bucket ? JSON.stringify(settings.outputS3Bucket) : null,
      callback_secret: callbackSecret,
    });
    return { id, apiKey, callbackSecret };
  }

  async list(): Promise<DeveloperView[]> {
    return (await this.developers.list()).map(toView);
  }

  async get(id: string): Promise<DeveloperView> {
    return toView(await this.row(id));
  }

  /** The stored row, secrets included: for the integration code, never for an API answer. */
  async row(id: string): Promise<DeveloperRow> {
    const row = await this.developers.find(id);
    if (!row) throw notFound(`no developer ${id}`);
    return row;
  }

  async update(id: string, patch: Partial<DeveloperSettings>): Promise<DeveloperView> {
    const current = await this.row(id);
    const values: DeveloperChanges = { updated_at: new Date() };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.callBackUrl !== undefined) values.callback_url = patch.callBackUrl;
    if (patch.fetchFileUrl !== undefined) values.fetch_file_url = patch.fetchFileUrl;
    if (patch.mediaTabContentUrl !== undefined) values.media_tab_content_url = patch.mediaTabContentUrl;
    if (patch.fetchThumbnailUrl !== undefined) values.fetch_thumbnail_url = patch.fetchThumbnailUrl;
    if (patch.outputS3Bucket !== undefined) {
      const bucket = patch.outputS3Bucket ? keepMaskedSecret(patch.outputS3Bucket, current.output_s3_bucket) : null;
      if (bucket) await this.assertReachable(bucket);
      values.output_s3_bucket = bucket ? JSON.stringify(bucket) : null;
    }
    await this.developers.update(id, values);
    return this.get(id);
  }

  /** A bucket is saved only when outputs could be delivered there (a clear 400 otherwise). */
  private async assertReachable(bucket: OutputBucket): Promise<void> {
    try {
      await this.checkBucket(bucket);
    } catch (error) {
      if (error instanceof BucketUnreachable) throw badRequest(`outputS3Bucket: ${error.message}`);
      throw error;
    }
  }

  /** New apiKey and callback secret; the old ones stop working at once. */
  async rotateKey(id: string): Promise<{ id: string; apiKey: string; callbackSecret: string }> {
    const apiKey = newSecret(API_KEY_PREFIX);
    const callbackSecret = newSecret();
    const rotated = await this.developers.update(id, {
      api_key_hash: hashSecret(apiKey),
      api_key_prefix: apiKey.slice(0, API_KEY_PREFIX.length + 6),
      callback_secret: callbackSecret,
      updated_at: new Date(),
    });
    if (!rotated) throw notFound(`no developer ${id}`);
    return { id, apiKey, callbackSecret };
  }

  async delete(id: string): Promise<void> {
    if (!(await this.developers.delete(id))) throw notFound(`no developer ${id}`);
  }

  /** The developer an apiKey belongs to, or 401. */
  async authenticate(apiKey: string | undefined): Promise<DeveloperRow> {
    if (!apiKey) throw unauthorized('an apiKey is required');
    const row = await this.developers.findByKeyHash(hashSecret(apiKey));
    if (!row) throw unauthorized('the apiKey is not valid');
    return row;
  }
}

/** An admin who edits a bucket without retyping its secret sends back the mask; keep the old one. */
function keepMaskedSecret(next: OutputBucket, previous: OutputBucket | null): OutputBucket {
  if (next.awsSecreteKey === SECRET_MASK && previous) return { ...next, awsSecreteKey: previous.awsSecreteKey };
  return next;
}

function toView(row: DeveloperRow): DeveloperView {
  const bucket = row.output_s3_bucket;
  return {
    id: row.id,
    name: row.name,
    apiKeyPrefix: row.api_key_prefix,
    callBackUrl: row.callback_url,
    fetchFileUrl: row.fetch_file_url,
    mediaTabContentUrl: row.media_tab_content_url,
    fetchThumbnailUrl: row.fetch_thumbnail_url,
    outputS3Bucket: bucket ? { ...bucket, awsSecreteKey: SECRET_MASK } : null,
    createTime: new Date(row.created_at).getTime(),
  };
}
