/** The render node as a library: what the control plane shares with it. */
export * from './protocol.js';
export type { TaskKinds, TaskKind, StoredSpec, OrderSpec, TaskResult, ProbeSpec, ProbeResult } from './task-kinds.js';
export { loadRenderNodeConfig, renderNodeConfig, RenderNodeConfigError, WAIT_FLAG, type RenderNodeConfig } from './config.js';
export * from './ffmpeg/index.js';
export { mediaInfo, type MediaInfoSpec, type MediaInfoAnswer } from './ingest/media-info-task.js';
export type { IngestSpec, IngestResult, IngestSource, StoredIngestSpec } from './ingest/ingest-spec.js';
export * from './render-task/render-spec.js';
export type * from './render-task/stored-render-spec.js';
export { checkOutboundUrl, OutboundRefused, type OutboundPolicy } from './net/safe-fetch.js';
export { TaskFailure } from './worker/task-handler.js';
export * from './xtl/index.js';
export * from './engine/index.js';
export * from './edit-lists/index.js';
export type { ProjectImportSpec, ProjectImportResult, ImportedFileProbe, StoredProjectImportSpec } from './project-import/project-import-spec.js';
export * from './segments/index.js';
