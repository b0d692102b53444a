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
  /** What the task is doing now, in the editor API's words where it has them (downloading, uploading...). */
  stage: string | null;
  /** 0 to 1. */
  progress: ColumnType<number, number | undefined, number>;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  gpu: ColumnType<boolean, boolean | undefined, boolean>;
  /** JSON of the kind's stored spec; read as such by TaskStore only (work/task-store.ts). */
  spec: ColumnType<unknown, string, string>;
  /** JSON of the node's result; read as the kind's by TaskStore only. */
  result: ColumnType<unknown, string | null | undefined, string | null>;
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
  /** The task this one is a part of (a segment of a segmented render); null for most. */
  parent_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The editor API's engine error object, with a stable code per failure class. */
export interface TaskError {
  type: string;
  message: string;
  code: string;
}

/** A bigint with a database default: optional on insert. */
type GeneratedInt = ColumnType<number, number | undefined, number>;

export interface ProjectsTable {
  id: string;
  owner_id: string;
  name: Generated<string>;
  /** The hashes of the chunks of the project's `data`, in order: joined, the exact JSON text the client sent. */
  data_chunks: string[];
  thumbnail: Generated<string>;
  create_ms: number;
  modif_ms: number;
  /** Bumped on every save; guards the media index against concurrent saves. */
  revision: GeneratedInt;
  /** Digest of the indexed set of media ids. */
  media_digest: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A piece of a project's data, named by its content (see project-data/chunks.ts). */
export interface ProjectDataChunksTable {
  project_id: string;
  hash: string;
  content: string;
}

export type MediaKind = 'test' | 'uploaded' | 'url' | 'output' | 'voiceover' | 'audiolib';
export type AudiolibType = 'music' | 'sound';
export type MediaType = 'video' | 'audio' | 'image';
export type MediaStatus = 'render' | 'upload' | 'import' | 'convert' | 'prepare_thumbnails' | 'ready';

/** The editor API's media_error_description_object. */
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

/** ffprobe's JSON of a stored original, as ingest read it (renders reuse it). */
export interface MediaProbesTable {
  media_id: string;
  probe: string;
}

/** Which id-shaped tokens (media ids) a project's data mentions. */
export interface ProjectMediaTable {
  project_id: string;
  owner_id: string;
  media_id: string;
}

/** The per-project head of the action history: its lock, version and last sequence number. */
export interface ActionHistoriesTable {
  project_id: string;
  owner_id: string;
  version: GeneratedInt;
  last_seq: GeneratedInt;
}

export interface ActionsTable {
  project_id: string;
  /** Unique within the project: the client's id when it was free, else a generated one. */
  id: string;
  owner_id: string;
  /** POST order within the project. */
  seq: number;
  name: Generated<string>;
  /** The JSON text of the action's `data` exactly as the client sent it. */
  data_json: string;
  canceled: Generated<boolean>;
  create_ms: number;
  modif_ms: number;
}

export interface OverlayImagesTable {
  id: string;
  owner_id: string;
  png: ColumnType<Uint8Array, Uint8Array, Uint8Array>;
  size_bytes: number;
  width: number;
  height: number;
  created_at: Timestamp;
}

export type DomainEventType = 'project_create' | 'project_update' | 'render_start' | 'render_complete';

/**
 * Facts raised in the same transaction as the change they describe; the integration layer
 * delivers them as developer callbacks. `seq` orders them (assignment order, not commit order).
 */
export interface DomainEventsTable {
  seq: Generated<number>;
  id: string;
  user_id: string;
  type: DomainEventType;
  payload: ColumnType<Record<string, unknown>, string, string>;
  created_at: Timestamp;
  /** Callback delivery: pending until delivered, failed after the retry budget, skipped without a callBackUrl. */
  delivery: ColumnType<'pending' | 'delivered' | 'failed' | 'skipped', undefined, 'pending' | 'delivered' | 'failed' | 'skipped'>;
  attempts: ColumnType<number, undefined, number>;
  next_attempt_at: ColumnType<Date, undefined, Date | string>;
  /** A replica delivering the event holds it until then. */
  lease_until: ColumnType<Date | null, undefined, Date | string | null>;
  last_error: ColumnType<string | null, undefined, string | null>;
  delivered_at: ColumnType<Date | null, undefined, Date | string | null>;
}

export interface MediaTable {
  id: string;
  /** Null for shared media (`test` media, the audio library). */
  owner_id: string | null;
  /** Null: at the root. */
  folder_id: string | null;
  /** Display name only; never part of a storage key. */
  name: string;
  /** lower(name), collated "C": what lists sort and search by (generated by the database). */
  name_key: ColumnType<string, never, never>;
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
  /** Audio library files: their category and mood (audiolib_categories / audiolib_moods). */
  category_id: string | null;
  mood_id: string | null;
  /** Audio library files: music or sound; null for every other entry. */
  audiolib_type: ColumnType<AudiolibType | null, AudiolibType | null | undefined, AudiolibType | null>;
  original_key: string | null;
  /** A browser-playable copy, when the original is not. */
  proxy_key: string | null;
  /** The prepared timeline thumbnails (one pack object). */
  thumbnails_key: string | null;
  /** Where each thumbnail of the pack starts: `{stepHns, offsets}` (offsets end with the pack's length). */
  thumbnails_index: ColumnType<ThumbnailsIndex | null, string | null | undefined, string | null>;
  /** Where the bytes came from: `test:<file name>` for shared media, the URL of an import, ... */
  source: string | null;
  /** Which version of the source the stored bytes are (a file's size and mtime, a URL's ETag): a change means copy again. */
  source_version: string | null;
  create_time_ms: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ThumbnailsIndex {
  stepHns: number;
  offsets: number[];
  /** A scrub copy (small, every frame, short GOP) is stored for exact thumbnails on demand. */
  scrub?: boolean;
}

/** A resumable upload; its id is the media entry's. */
export interface UploadSessionsTable {
  media_id: string;
  owner_id: string;
  size_bytes: number;
  state: ColumnType<'receiving' | 'complete', 'receiving' | 'complete' | undefined, 'receiving' | 'complete'>;
  /** The contiguous prefix received from byte 0. */
  received_bytes: ColumnType<number, number | undefined, number>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A chunk of an upload, stored as its own object until ingest joins them. */
export interface UploadChunksTable {
  media_id: string;
  /** First and last byte, inclusive, as the Content-Range said. */
  start_byte: number;
  end_byte: number;
  object_key: string;
  created_at: Timestamp;
}

export type ProjectImportStage = 'upload' | 'unpack' | 'import_media' | 'ready';

/** A project import session: a zip received in chunks, unpacked, its media ingested, its project made. */
export interface ProjectImportsTable {
  /** Also the id of the project it makes. */
  id: string;
  owner_id: string;
  /** The project's (and folder's) name: the file's name without `.zip`. */
  name: string;
  file_name: string;
  fps_num: number | null;
  fps_den: number | null;
  create_folder: ColumnType<boolean, boolean | undefined, boolean>;
  size_bytes: number;
  received_bytes: ColumnType<number, number | undefined, number>;
  stage: ColumnType<ProjectImportStage, ProjectImportStage | undefined, ProjectImportStage>;
  /** Percent of the current stage. */
  progress: ColumnType<number, number | undefined, number>;
  /** Refused or failed for good: `error` says why, and nothing it made is left. */
  failed: ColumnType<boolean, boolean | undefined, boolean>;
  error: ColumnType<string, string | undefined, string>;
  task_id: string | null;
  folder_id: string | null;
  /** Media entries the import made. */
  media_ids: ColumnType<string[], string | undefined, string>;
  /** The project's timeline (JSON text, kept as written), until the project is made. */
  timeline: string | null;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A chunk of a project zip, stored as its own object until the unpack joins them. */
export interface ProjectImportChunksTable {
  import_id: string;
  start_byte: number;
  end_byte: number;
  object_key: string;
  created_at: Timestamp;
}

export interface ObjectDeletionsTable {
  id: string;
  key: string;
  is_prefix: boolean;
  attempts: Generated<number>;
  created_at: Timestamp;
}

/** A category or a mood of the audio library (one table each, the same shape). */
export interface AudiolibTagsTable {
  id: string;
  audiolib_type: AudiolibType;
  name: string;
}

export type AudiolibImportState = 'idle' | 'running' | 'done' | 'failed';

/** The one row (`id = 'current'`) recording the last import of the audio library's list. */
export interface AudiolibImportTable {
  id: string;
  state: ColumnType<AudiolibImportState, AudiolibImportState | undefined, AudiolibImportState>;
  run_id: string | null;
  total_count: ColumnType<number, number | undefined, number>;
  processed_count: ColumnType<number, number | undefined, number>;
  error: ColumnType<string, string | undefined, string>;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  heartbeat_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Secrets the replicas share and generate themselves when not configured (0012). */
export interface InstanceSecretsTable {
  name: string;
  value: string;
  created_at: Generated<Timestamp>;
}

/** A voiceover session held by one control-plane process (its WebRTC media live there). */
export interface VoiceoverSessionsTable {
  id: string;
  owner_id: string;
  /** The process holding the session's connection; requests for it must reach that one. */
  replica_id: string;
  created_at: Timestamp;
  /** Refreshed by the holding process; a stale row is a session of a process that died. */
  heartbeat_at: Timestamp;
}

export interface DB {
  developers: DevelopersTable;
  users: UsersTable;
  auth_tokens: AuthTokensTable;
  tasks: TasksTable;
  projects: ProjectsTable;
  project_data_chunks: ProjectDataChunksTable;
  project_media: ProjectMediaTable;
  action_histories: ActionHistoriesTable;
  actions: ActionsTable;
  overlay_images: OverlayImagesTable;
  domain_events: DomainEventsTable;
  folders: FoldersTable;
  media: MediaTable;
  media_probes: MediaProbesTable;
  object_deletions: ObjectDeletionsTable;
  upload_sessions: UploadSessionsTable;
  upload_chunks: UploadChunksTable;
  project_imports: ProjectImportsTable;
  project_import_chunks: ProjectImportChunksTable;
  audiolib_categories: AudiolibTagsTable;
  audiolib_moods: AudiolibTagsTable;
  audiolib_import: AudiolibImportTable;
  instance_secrets: InstanceSecretsTable;
  voiceover_sessions: VoiceoverSessionsTable;
}
