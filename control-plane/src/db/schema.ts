import type { ColumnType, Generated } from 'kysely';

/**
 * Table types for Kysely. Columns named `*_at` are timestamptz (server time, used for liveness
 * and ordering); columns named `*_ms` are unix milliseconds exposed through the API as given.
 */

/** A timestamptz with a database default: optional on insert. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A timestamptz the insert must give. */
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;

export interface DevelopersTable {
  id: string;
  name: string;
  /** sha256 of the API key; the key itself is shown once, at creation or rotation. */
  api_key_hash: string;
  /** First characters of the key, so an admin can tell keys apart. */
  api_key_prefix: string;
  callback_url: string | null;
  fetch_file_url: string | null;
  media_tab_content_url: string | null;
  fetch_thumbnail_url: string | null;
  /** { awsBucketName, awsEndPoint, awsAccessKey, awsSecreteKey } or null. */
  output_s3_bucket: ColumnType<OutputBucket | null, string | null, string | null>;
  /** HMAC key for the X-Cutroom-Signature header on callbacks. */
  callback_secret: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OutputBucket {
  awsBucketName: string;
  awsEndPoint?: string | undefined;
  awsAccessKey: string;
  awsSecreteKey: string;
  awsRegion?: string | undefined;
}

export interface UsersTable {
  id: string;
  name: string | null;
  data: string | null;
  developer_id: string | null;
  api_auth_token: string | null;
  anonymous: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AuthTokensTable {
  /** sha256 of the token the editor sent in `user_event`. */
  token_hash: string;
  user_id: string;
  /** Sockets currently open with this token (best effort; `heartbeat_at` covers crashed replicas). */
  open_sockets: Generated<number>;
  /** Refreshed by the replica holding an open socket, on every ping round. */
  heartbeat_at: Timestamp;
  /** The token authenticates HTTP requests until this time. */
  expires_at: RequiredTimestamp;
  created_at: Timestamp;
}

export type MediaKind = 'test' | 'uploaded' | 'url' | 'output' | 'voiceover';
export type MediaType = 'video' | 'audio' | 'image';
export type MediaStatus = 'render' | 'upload' | 'import' | 'convert' | 'prepare_thumbnails' | 'ready';

/** The seed's media_error_description_object. */
export interface MediaError {
  type: string;
  message: string;
  title?: string | undefined;
}

export interface FoldersTable {
  id: string;
  owner_id: string;
  /** Null: at the root. */
  parent_id: string | null;
  name: string;
  create_time_ms: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MediaTable {
  id: string;
  /** Null for shared `test` media. */
  owner_id: string | null;
  /** Null: at the root. */
  folder_id: string | null;
  /** Display name only; never part of a storage key. */
  name: string;
  type: MediaKind;
  filetype: string;
  media_type: MediaType;
  duration_hns: Generated<number>;
  size_bytes: Generated<number>;
  width: Generated<number>;
  height: Generated<number>;
  /** Small PNG, base64. */
  thumbnail: string | null;
  /** jsonb array of track names: written as JSON text. */
  audio_tracks: ColumnType<string[], string | undefined, string>;
  status: MediaStatus;
  /** Percent of the current stage, 0-100. */
  progress: Generated<number>;
  /** jsonb: written as JSON text, read as the object. */
  error: ColumnType<MediaError | null, string | null | undefined, string | null>;
  task_id: string | null;
  category_id: string | null;
  mood_id: string | null;
  original_key: string | null;
  /** A browser-playable copy, when the original is not. */
  proxy_key: string | null;
  /** The prepared timeline thumbnails (one pack object). */
  thumbnails_key: string | null;
  /** Where the bytes came from: `test:<file name>` for shared media, the URL of an import, ... */
  source: string | null;
  create_time_ms: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ObjectDeletionsTable {
  id: string;
  key: string;
  is_prefix: boolean;
  attempts: Generated<number>;
  created_at: Timestamp;
}

export interface DB {
  developers: DevelopersTable;
  users: UsersTable;
  auth_tokens: AuthTokensTable;
  folders: FoldersTable;
  media: MediaTable;
  object_deletions: ObjectDeletionsTable;
}
