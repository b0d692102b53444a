import type { paths } from './schema.js';

/** Answer types of the API, named for the console (derived from the generated OpenAPI types). */

type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type MediaEntry = Json<'/api/mediafiles/{id}', 'get'>;
export type MediaList = Json<'/api/mediafiles', 'get'>;
export type MediaStatus = Json<'/api/mediafile/status', 'get'>;
export type EditingStatus = Json<'/api/task/editing', 'get'>;
export type ProjectList = Json<'/api/projects', 'get'>;
export type ProjectEntry = Json<'/api/projects/{id}', 'get'>;
export type AdminTask = Json<'/api/admin/tasks/{id}', 'get'>;
export type AdminTaskList = Json<'/api/admin/tasks', 'get'>;
export type AdminQueue = Json<'/api/admin/queue', 'get'>;
export type AdminFailures = Json<'/api/admin/failures', 'get'>;
export type AdminDispatcher = Json<'/api/admin/dispatcher', 'get'>;
export type AdminCallbacks = Json<'/api/admin/callbacks', 'get'>;
export type Stat = Json<'/api/stat', 'get'>;
export type DeveloperList = Json<'/api/developers', 'get'>;
