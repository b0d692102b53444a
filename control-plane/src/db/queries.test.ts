import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { ActionsRepository } from './actions-repository.js';
import { AudiolibImportRepository } from './audiolib-import-repository.js';
import { AudiolibTagsRepository } from './audiolib-tags-repository.js';
import { AuthTokensRepository } from './auth-tokens-repository.js';
import { CallbackOutboxRepository } from './callback-outbox-repository.js';
import { DevelopersRepository } from './developers-repository.js';
import { FoldersRepository } from './folders-repository.js';
import { InstanceSecretsRepository } from './instance-secrets-repository.js';
import { MediaRepository, type ListScope } from './media-repository.js';
import { ObjectDeletionsRepository } from './object-deletions-repository.js';
import { OverlayImagesRepository } from './overlay-images-repository.js';
import { ProjectImportChunksRepository } from './project-import-chunks-repository.js';
import { ProjectImportsRepository } from './project-imports-repository.js';
import { ProjectsRepository } from './projects-repository.js';
import type { DB } from './schema.js';
import { TaskAdminRepository } from './task-admin-repository.js';
import { UploadChunksRepository } from './upload-chunks-repository.js';
import { UploadSessionsRepository } from './upload-sessions-repository.js';
import { UsersRepository } from './users-repository.js';
import { VoiceoverSessionsRepository } from './voiceover-sessions-repository.js';

/**
 * The statements of the repositories, as SQL text, kept beside them in `queries/` (regenerate
 * with `npx vitest run control-plane/src/db/queries.test.ts -u`). A change to a query shows in
 * review as a change of its statement, and a refactoring that was meant to keep the SQL fails
 * here when it does not. The database is a recorder: every statement answers one row of nothing
 * but an empty PNG and a time. A project's insert and save are left out: their statements are
 * made of the project data's chunks (project-data/storage.ts).
 */

class RecordingDriver implements Driver {
  statements: string[] = [];

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        this.statements.push(query.sql.trim());
        return { rows: [{ png: new Uint8Array(0), read_at: new Date(0) } as R], numAffectedRows: 1n };
      },
      streamQuery: () => {
        throw new Error('streams are not recorded');
      },
    };
  }

  async beginTransaction(): Promise<void> {
    this.statements.push('begin');
  }

  async commitTransaction(): Promise<void> {
    this.statements.push('commit');
  }

  async rollbackTransaction(): Promise<void> {
    this.statements.push('rollback');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

/** Records what `calls` runs into `queries/<file>.sql`, each call's statements under its name. */
async function statementsOf(file: string, calls: (db: Kysely<DB>, record: (name: string, call: () => Promise<unknown>) => Promise<void>) => Promise<void>) {
  const { db, record, text } = recorder();
  await calls(db, record);
  await expect(text()).toMatchFileSnapshot(`./queries/${file}.sql`);
}

function recorder() {
  const driver = new RecordingDriver();
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const sections: string[] = [];
  /** Runs `call` and writes its statements under `name`. */
  const record = async (name: string, call: () => Promise<unknown>) => {
    driver.statements = [];
    await call();
    sections.push(`-- ${name}\n${driver.statements.map((s) => `${s};`).join('\n')}\n`);
  };
  return { db, record, text: () => sections.join('\n') };
}

const root: ListScope = {
  viewerId: 'user',
  folderId: null,
  filter: { folders: true, mediaTypes: ['video', 'audio', 'image'], voiceover: true },
  search: undefined,
  sortField: 'name',
  sortOrder: 'asc',
};
const searchedFolder: ListScope = {
  ...root,
  folderId: 'folder',
  filter: { folders: true, mediaTypes: ['video'], voiceover: true },
  search: 'cut_50%',
  sortField: 'size',
  sortOrder: 'desc',
};

describe('repository statements', () => {
  it('media-repository', () =>
    statementsOf('media-repository', async (db, record) => {
      const media = new MediaRepository(db);
      await record('countAndPageListing (the root, every type)', () => media.countAndPageListing(root, 20, 10));
      await record('countAndPageListing (a folder, searched, some types)', () => media.countAndPageListing(searchedFolder, 0, 10));
      await record('pageOfListed (with shared test media)', () => media.pageOfListed(root, true, 20, 10));
      await record('pageOfListed (own media only)', () => media.pageOfListed(searchedFolder, false, 0, 10));
      await record('listingVersions', () => media.listingVersions('user'));
      const library = { audiolibType: 'music' as const, categoryId: 'category', moodId: 'mood', search: 'rain' };
      await record('countInLibrary', () => media.countInLibrary(library));
      await record('pageOfLibrary', () => media.pageOfLibrary(library, { sortField: 'name', sortOrder: 'asc', offset: 0, limit: 10 }));
      await record('findInLibrary', () => media.findInLibrary('id'));
      await record('findInLibraryBySource', () => media.findInLibraryBySource('audiolib:a.mp3'));
      await record('allInLibrary', () => media.allInLibrary());
      await record('setLibraryFields', () => media.setLibraryFields('id', { name: 'a', audiolibType: 'sound', categoryId: null, moodId: 'mood' }));
      await record('allTestMedia', () => media.allTestMedia());
      await record('findTestBySource', () => media.findTestBySource('test:a.mp4'));
      await record('findVisible', () => media.findVisible('user', 'id'));
      await record('visibleByIds', () => media.visibleByIds('user', ['a', 'b']));
      await record('find', () => media.find('id'));
      await record('bytesOwnedBy', () => media.bytesOwnedBy('user'));
      await record('lockQuota', () => media.lockQuota(db, 'user'));
      await record('insert', () =>
        media.insert({
          id: 'id',
          owner_id: 'user',
          folder_id: null,
          name: 'a.mp4',
          type: 'uploaded',
          filetype: 'mp4',
          media_type: 'video',
          status: 'upload',
          task_id: null,
          category_id: null,
          mood_id: null,
          thumbnail: null,
          original_key: null,
          proxy_key: null,
          thumbnails_key: null,
          source: null,
          source_version: null,
          create_time_ms: 0,
        }),
      );
      await record('update (guarded by status)', () => media.update('id', { status: 'ready', progress: 100 }, ['render', 'ready']));
      await record('lockOwn', () => media.lockOwn(db, 'user', 'id'));
      await record('deleteMany', () => media.deleteMany(db, ['a', 'b']));
      await record('deleteUploading', () => media.deleteUploading('id'));
      await record('idsInFolders', () => media.idsInFolders('user', ['folder']));
      await record('anyInFolder', () => media.anyInFolder('folder'));
      await record('lockInFolders', () => media.lockInFolders(db, 'user', ['folder']));
      await record('visibleAmong', () => media.visibleAmong(db, 'user', ['a']));
      await record('moveToFolder', () => media.moveToFolder(db, 'user', ['a'], 'folder'));
      await record('setRenderProgress', () => media.setRenderProgress(['a'], 50));
      await record('markRenderFailed', () => media.markRenderFailed(db, ['a'], { type: 'engine_error', message: 'failed' }));
      await record('lockRendering', () => media.lockRendering(db, ['a']));
      await record('outcomesOf', () => media.outcomesOf(['a']));
      await record('tasksOf', () => media.tasksOf(['a']));
      await record('progressOf', () => media.progressOf(['a']));
    }));

  it('folders-repository', () =>
    statementsOf('folders-repository', async (db, record) => {
      const folders = new FoldersRepository(db);
      await record('pageOfChildren (by name)', () => folders.pageOfChildren(root, 0, 10));
      await record('pageOfChildren (by size: by name, A to Z)', () => folders.pageOfChildren(searchedFolder, 0, 10));
      await record('lockTree', () => folders.lockTree(db, 'user'));
      await record('findOwn', () => folders.findOwn('user', 'id'));
      await record('lockShared', () => folders.lockShared(db, 'user', 'id'));
      await record('hasSubfolders', () => folders.hasSubfolders('id'));
      await record('insert', () => folders.insert({ id: 'id', owner_id: 'user', parent_id: null, name: 'a', create_time_ms: 0 }));
      await record('rename', () => folders.rename('user', 'id', 'b'));
      await record('ownedAmong', () => folders.ownedAmong('user', ['a']));
      await record('subtreeOf (locked)', () => folders.subtreeOf('user', 'id', true));
      await record('ancestorsOf', () => folders.ancestorsOf('user', 'id'));
      await record('reparent', () => folders.reparent(db, 'user', ['a'], null));
      await record('deleteMany', () => folders.deleteMany(db, ['a']));
    }));

  it('audiolib-import-repository', () =>
    statementsOf('audiolib-import-repository', async (db, record) => {
      const runs = new AudiolibImportRepository(db);
      await record('claim', () => runs.claim('run', 60));
      await record('recordProgress', () => runs.recordProgress('run', { processedCount: 1 }));
      await record('finish', () => runs.finish('run', 'done', ''));
      await record('read', () => runs.read());
    }));

  it('audiolib-tags-repository', () =>
    statementsOf('audiolib-tags-repository', async (db, record) => {
      const moods = new AudiolibTagsRepository(db, 'audiolib_moods');
      await record('idOf', () => moods.idOf('music', 'calm'));
      await record('deleteUnused', () => moods.deleteUnused());
      await record('withCounts', () => moods.withCounts('music'));
    }));

  it('object-deletions-repository', () =>
    statementsOf('object-deletions-repository', async (db, record) => {
      const deletions = new ObjectDeletionsRepository(db);
      await record('insertMany', () => deletions.insertMany(db, [{ id: 'a', key: 'k', is_prefix: true }]));
      await record('findMany', () => deletions.findMany(['a']));
      await record('pageAfter', () => deletions.pageAfter('', 200));
      await record('count', () => deletions.count());
      await record('delete', () => deletions.delete('a'));
      await record('countAttempt', () => deletions.countAttempt('a'));
    }));

  it('project-imports-repository', () =>
    statementsOf('project-imports-repository', async (db, record) => {
      const imports = new ProjectImportsRepository(db);
      const expiresAt = new Date(0);
      await record('insert', () =>
        imports.insert({
          id: 'id',
          owner_id: 'user',
          name: 'a',
          file_name: 'a.zip',
          fps_num: null,
          fps_den: null,
          size_bytes: 1,
          expires_at: expiresAt,
          task_id: null,
          folder_id: null,
          timeline: null,
        }),
      );
      await record('find', () => imports.find('id'));
      await record('findCurrent', () => imports.findCurrent('user', 'id'));
      await record('expired', () => imports.expired());
      await record('importingMedia', () => imports.importingMedia());
      await record('activeCount', () => imports.activeCount());
      await record('delete', () => imports.delete('id'));
      await record('deleteOwn', () => imports.deleteOwn('user', 'id'));
      await record('lockForUpload', () => imports.lockForUpload(db, 'id'));
      await record('setReceived', () => imports.setReceived(db, 'id', 10));
      await record('startUnpack', () => imports.startUnpack(db, 'id', 'task', expiresAt));
      await record('setUnpackProgress', () => imports.setUnpackProgress('id', 50));
      await record('setFolder', () => imports.setFolder('id', 'folder'));
      await record('lockStage', () => imports.lockStage(db, 'id'));
      await record('startMediaImport', () => imports.startMediaImport(db, 'id', { mediaIds: ['a'], timeline: '{}', error: '', expiresAt }));
      await record('markReady', () => imports.markReady('id', '', expiresAt));
      await record('markFailed', () => imports.markFailed('id', 'refused', expiresAt));
    }));

  it('project-import-chunks-repository', () =>
    statementsOf('project-import-chunks-repository', async (db, record) => {
      const chunks = new ProjectImportChunksRepository();
      await record('upsert', () => chunks.upsert(db, 'id', { start: 0, end: 9, key: 'k' }));
      await record('of', () => chunks.of(db, 'id'));
    }));

  it('instance-secrets-repository', () =>
    statementsOf('instance-secrets-repository', async (db, record) => {
      const secrets = new InstanceSecretsRepository(db);
      await record('getOrStore', () => secrets.getOrStore('signing', 'secret'));
    }));

  it('users-repository', () =>
    statementsOf('users-repository', async (db, record) => {
      const users = new UsersRepository(db);
      await record('insert', () => users.insert({ id: 'user', name: null, data: null, developer_id: null, api_auth_token: null }));
      await record('update (claimed by a developer)', () => users.update('user', { name: 'a' }, 'developer'));
      await record('findProfile', () => users.findProfile('user'));
      await record('exists', () => users.exists('user'));
      await record('developerFetchAccess', () => users.developerFetchAccess('user'));
      await record('editorConfig', () => users.editorConfig('user'));
    }));

  it('developers-repository', () =>
    statementsOf('developers-repository', async (db, record) => {
      const developers = new DevelopersRepository(db);
      await record('list', () => developers.list());
      await record('find', () => developers.find('developer'));
      await record('outputBucketOf', () => developers.outputBucketOf('developer'));
      await record('findByKeyHash', () => developers.findByKeyHash('hash'));
      await record('update', () => developers.update('developer', { name: 'a' }));
      await record('delete', () => developers.delete('developer'));
    }));

  it('callback-outbox-repository', () =>
    statementsOf('callback-outbox-repository', async (db, record) => {
      const outbox = new CallbackOutboxRepository(db);
      await record('raise', () => outbox.raise({ id: 'event', userId: 'user', type: 'render_start', payload: { projectId: '' } }));
      await record('claimDue', () => outbox.claimDue(8, 65_000));
      await record('settle', () => outbox.settle(1, { delivery: 'delivered', attempts: 1, last_error: null }));
      await record('countsByDelivery', () => outbox.countsByDelivery());
      await record('list', () => outbox.list(['failed'], 50));
      await record('redeliver', () => outbox.redeliver('event'));
    }));

  it('projects-repository', () =>
    statementsOf('projects-repository', async (db, record) => {
      const projects = new ProjectsRepository(db);
      await record('withRowLock', () => projects.withRowLock('project', 'user', async () => {}));
      await record('list (searched, by name)', () => projects.list('user', { offset: 0, limit: 10, search: 'cut', sort: 'name', descending: false }));
      await record('list (by modification, newest first)', () => projects.list('user', { offset: 10, limit: 10, sort: 'modif_ms', descending: true }));
      await record('isOwn', () => projects.isOwn('project', 'user'));
      await record('lastSavedId', () => projects.lastSavedId('user'));
      await record('delete', () => projects.delete('project', 'user'));
      await record('mediaIdsOf', () => projects.mediaIdsOf('project', 'user'));
      await record('usage', () => projects.usage('user', ['a']));
    }));

  it('actions-repository', () =>
    statementsOf('actions-repository', async (db, record) => {
      const actions = new ActionsRepository(db);
      await record('post', () =>
        actions.post({ projectId: 'project', ownerId: 'user', clientId: 'client', generatedId: 'id', name: 'cut', dataJson: '{}', createMs: 0, depth: 50 }),
      );
      await record('withHeadLock', () => actions.withHeadLock('project', 'user', async () => {}));
      await record('setCanceled (in a project)', () => actions.setCanceled('user', 'id', 'project', true, 0));
      await record('list', () => actions.list('project', 'user'));
    }));

  it('auth-tokens-repository', () =>
    statementsOf('auth-tokens-repository', async (db, record) => {
      const tokens = new AuthTokensRepository(db);
      await record('userOf', () => tokens.userOf('hash'));
      await record('userWithListingVersions', () => tokens.userWithListingVersions('hash'));
      await record('withTokenLock, lockBinding, bindOpen', () =>
        tokens.withTokenLock('hash', async (trx) => {
          await tokens.lockBinding(trx, 'hash', 60_000);
          await tokens.bindOpen(trx, 'hash', 'user', true, 3_600_000);
        }),
      );
      await record('release', () => tokens.release('hash', 30_000));
      await record('heartbeat', () => tokens.heartbeat(['hash'], 3_600_000));
      await record('liveUsersCount', () => tokens.liveUsersCount(60_000));
      await record('hasValidToken', () => tokens.hasValidToken('user'));
      await record('deleteExpired', () => tokens.deleteExpired(86_400_000));
    }));

  it('overlay-images-repository', () =>
    statementsOf('overlay-images-repository', async (db, record) => {
      const overlays = new OverlayImagesRepository(db);
      await record('insert', () => overlays.insert({ id: 'id', ownerId: 'user', png: Buffer.alloc(1), width: 1, height: 1 }));
      await record('read', () => overlays.read('user', 'id'));
      await record('dimensions', () => overlays.dimensions('user', 'id'));
      await record('owners', () => overlays.owners());
      await record('deleteOwned (some pinned)', () => overlays.deleteOwned('user', new Date(0), ['pinned']));
    }));

  it('upload-sessions-repository', () =>
    statementsOf('upload-sessions-repository', async (db, record) => {
      const sessions = new UploadSessionsRepository(db);
      await record('insert', () => sessions.insert({ media_id: 'id', owner_id: 'user', size_bytes: 1, expires_at: new Date(0) }));
      await record('findCurrent', () => sessions.findCurrent('user', 'id'));
      await record('lock', () => sessions.lock(db, 'id'));
      await record('setReceived (complete)', () => sessions.setReceived(db, 'id', 1, true));
      await record('expired', () => sessions.expired());
      await record('activeCount', () => sessions.activeCount(120));
    }));

  it('upload-chunks-repository', () =>
    statementsOf('upload-chunks-repository', async (db, record) => {
      const chunks = new UploadChunksRepository();
      await record('upsert', () => chunks.upsert(db, 'id', { start: 0, end: 9, key: 'k' }));
      await record('of', () => chunks.of(db, 'id'));
    }));

  it('voiceover-sessions-repository', () =>
    statementsOf('voiceover-sessions-repository', async (db, record) => {
      const sessions = new VoiceoverSessionsRepository(db, 'replica');
      await record('insert', () => sessions.insert('id', 'user'));
      await record('remove', () => sessions.remove('id'));
      await record('heldElsewhere', () => sessions.heldElsewhere('user', 'id', 30_000));
      await record('heartbeat', () => sessions.heartbeat(['id']));
      await record('countLive', () => sessions.countLive(30_000));
    }));

  it('task-admin-repository', () =>
    statementsOf('task-admin-repository', async (db, record) => {
      const tasks = new TaskAdminRepository(db);
      await record('countsByKindAndState', () => tasks.countsByKindAndState(86_400));
      await record('list (by state and kind)', () => tasks.list({ states: ['error'], kinds: ['render'], offset: 0, limit: 50 }));
      await record('recentFailures', () => tasks.recentFailures(20, 20));
      await record('get', () => tasks.get('id'));
    }));
});
