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

export type TaskState = 'pending' | 'dispatched' | 'running' | 'completing' | 'completed' | 'error' | 'aborted';

/** A unit of work for a render node, with its state machine guarded in SQL (see work/task-store.ts). */
export interface TasksTable {
  id: string;
  kind: string;
  owner_id: string | null;
  developer_id: string | null;
  state: ColumnType<TaskState, TaskState | undefined, TaskState>;
  /** What the task is doing now, in the seed's words where it has them (downloading, uploading...). */
  stage: string | null;
  /** 0 to 1. */
  progress: ColumnType<number, number | undefined, number>;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  gpu: ColumnType<boolean, boolean | undefined, boolean>;
  spec: ColumnType<Record<string, unknown>, string, string>;
  result: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  error: ColumnType<TaskError | null, string | null | undefined, string | null>;
  log: ColumnType<string[], string | undefined, string>;
  token_hash: string | null;
  claimed_by: string | null;
  heartbeat_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  not_before: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The seed's engine error object, with a stable code per failure class. */
export interface TaskError {
  type: string;
  message: string;
  code: string;
}

export interface DB {
  developers: DevelopersTable;
  users: UsersTable;
  auth_tokens: AuthTokensTable;
  tasks: TasksTable;
}
