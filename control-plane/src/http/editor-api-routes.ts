/**
 * The endpoints the editor API's document defines. Every other route is ours, and the OpenAPI
 * document marks it as an extension (`x-cutroom-extension`), so an integrator can tell what a
 * stock editor front end relies on from what only Cutroom offers.
 */
const EDITOR_API_ROUTES = [
  'POST /api/users',
  'PATCH /api/users/:',
  'GET /api/users/:',
  'POST /api/task/mediainfo',
  'GET /api/task/mediainfo/:',
  'GET /api/mediafiles',
  'GET /api/mediafiles/:',
  'GET /api/mediafile/status',
  'DELETE /api/mediafiles/:',
  'POST /api/folders',
  'DELETE /api/folders/:',
  'PATCH /api/folders/:',
  'PUT /api/folders/:/entries',
  'GET /api/audiolib_files',
  'GET /api/audiolib_files/:',
  'GET /api/audiolib_files/categories',
  'GET /api/audiolib_files/moods',
  'GET /api/clip_thumbnails',
  'GET /api/clip_thumbnail',
  'POST /api/task/editing',
  'GET /api/task/editing',
  'DELETE /api/task/editing',
  'POST /api/projects',
  'GET /api/projects',
  'PATCH /api/projects/:',
  'GET /api/projects/:',
  'DELETE /api/projects/:',
  // The editor API lists it without a name, between getting and deleting a project.
  'GET /api/projects/:/mediafiles',
  'POST /api/actions',
  'PATCH /api/actions/:',
  'GET /api/actions',
  'POST /api/overlay_img',
  'POST /api/upload/media',
  'PUT /api/upload/media',
  'POST /api/import/media/url',
  'POST /api/import/media/awsbucket',
  'POST /api/import/audiolib_json',
  'GET /api/import/audiolib_json',
  'POST /api/upload/project',
  'PUT /api/upload/project',
  'GET /api/upload/project',
  'DELETE /api/upload/project',
  'POST /api/voiceovers',
  'PUT /api/voiceovers/:',
  'DELETE /api/voiceovers/:',
  'GET /api/stat',
  'GET /api/version',
];

const editorApiRoutes = new Set(EDITOR_API_ROUTES);

/** Whether an Express route (`/api/users/:id`) is one the editor API defines; parameter names do not matter. */
export function isEditorApiRoute(method: string, path: string): boolean {
  return editorApiRoutes.has(`${method.toUpperCase()} ${path.replace(/:[A-Za-z_]+/g, ':')}`);
}
