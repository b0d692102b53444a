import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EntryFilter, SortField, SortOrder } from '../../control-plane/src/db/media-repository.js';
import type { MediaListQuery } from '../../control-plane/src/services/library/media.js';
import { startMediumServices, type MediumServices } from '../support/medium.js';

const ALL: EntryFilter = { folders: true, mediaTypes: ['video', 'audio', 'image'], voiceover: true };

interface Known {
  id: string;
  folder: boolean;
  name: string;
  size: number;
  duration: number;
  createTime: number;
}

/** The order the API promises, computed independently: folders first, then files by key and id. */
function referenceOrder(entries: Known[], field: SortField, order: SortOrder): string[] {
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  const sign = order === 'asc' ? 1 : -1;
  const key = (e: Known) => (field === 'name' ? e.name.toLowerCase() : e[field]);
  const files = entries.filter((e) => !e.folder).sort((a, b) => sign * (cmp(key(a), key(b)) || cmp(a.id, b.id)));
  const folderKey = (e: Known) => (field === 'createTime' ? e.createTime : e.name.toLowerCase());
  const folderSign = field === 'name' || field === 'createTime' ? sign : 1;
  const folders = entries.filter((e) => e.folder).sort((a, b) => folderSign * (cmp(folderKey(a), folderKey(b)) || cmp(a.id, b.id)));
  return [...folders, ...files].map((e) => e.id);
}

describe('media library (services, Postgres)', () => {
  let services: MediumServices;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    services = await startMediumServices();
    alice = await services.factory.user('alice');
    bob = await services.factory.user('bob');
  });
  afterAll(() => services?.destroy());

  const stored = (key: string | null) => (key === null ? Promise.resolve(undefined) : services.storage.head(key));
  const list = (viewer: string, query: Partial<MediaListQuery> = {}) =>
    services.media.list(viewer, { startNumber: 0, count: 1000, filter: ALL, sortField: 'createTime', sortOrder: 'desc', folderId: null, ...query });
  const ids = async (viewer: string, folderId: string | null) => (await list(viewer, { folderId })).entries.map((e) => e.id);

  describe('listing', () => {
    let owner: string;
    const known: Known[] = [];

    beforeAll(async () => {
      // A user of its own, so the root holds exactly what this block makes.
      owner = await services.factory.user('lister');
      const base = Date.now() - 1_000_000;
      const names = ['Beach.mp4', 'beach.mp4', 'alpha 1.mov', 'Zulu.mp3', 'mid_100%.png', 'b2.webm', 'a10.m4a', 'A2.jpg'];
      for (let i = 0; i < 24; i++) {
        const mediaType = (['video', 'audio', 'image'] as const)[i % 3]!;
        const row = await services.factory.media({
          owner,
          name: `${names[i % names.length]!.replace(/\.\w+$/, '')} ${i % 5}.${{ video: 'mp4', audio: 'mp3', image: 'png' }[mediaType]}`,
          mediaType,
          type: i === 7 || i === 19 ? 'voiceover' : 'uploaded',
          sizeBytes: [500, 1500, 500, 90, 70_000][i % 5]!,
          durationHns: [0, 10_000_000, 55_000_000, 10_000_000][i % 4]!,
          // Some equal creation times: the id breaks those ties.
          createTimeMs: base + Math.floor(i / 2) * 1000,
        });
        known.push({ id: row.id, folder: false, name: row.name, size: row.size_bytes, duration: row.duration_hns, createTime: row.create_time_ms });
      }
      for (const name of ['Projects', 'archive', 'B-roll']) {
        const id = await services.factory.folder({ owner, name });
        const row = await services.database.db.selectFrom('folders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        known.push({ id, folder: true, name, size: 0, duration: 0, createTime: row.create_time_ms });
      }
      // Inside a sub-folder: never in the root listing.
      await services.factory.media({ owner, name: 'inside.mp4', folder: known.find((k) => k.folder)!.id });
    });

    it.each([
      ['name', 'asc'],
      ['name', 'desc'],
      ['createTime', 'asc'],
      ['createTime', 'desc'],
      ['size', 'asc'],
      ['size', 'desc'],
      ['duration', 'asc'],
      ['duration', 'desc'],
    ] as const)('pages through %s %s in the reference order, folders first', async (sortField, sortOrder) => {
      const seen: string[] = [];
      for (let startNumber = 0; startNumber < known.length; startNumber += 7) {
        const page = await list(owner, { startNumber, count: 7, sortField, sortOrder });
        expect(page.total_count).toBe(known.length);
        expect(page.entries.length).toBe(Math.min(7, known.length - startNumber));
        seen.push(...page.entries.map((e) => e.id));
      }
      expect(seen).toEqual(referenceOrder(known, sortField, sortOrder));
    });

    it('answers past the end with no entries and the total', async () => {
      expect(await list(owner, { startNumber: 500 })).toEqual({ total_count: known.length, entries: [] });
    });

    it('filters by media type, folders and voiceovers, together', async () => {
      const filtered = async (filter: Partial<EntryFilter>) => {
        const page = await list(owner, { filter: { folders: false, mediaTypes: [], voiceover: false, ...filter } });
        expect(page.total_count).toBe(page.entries.length);
        return page.entries;
      };
      const videos = await filtered({ mediaTypes: ['video'] });
      expect(videos.length).toBe(8);
      expect(videos.every((e) => e.mediaType === 'video')).toBe(true);
      expect((await filtered({ folders: true })).map((e) => e.filetype)).toEqual(['folder', 'folder', 'folder']);
      expect((await filtered({ voiceover: true })).map((e) => e.type)).toEqual(['voiceover', 'voiceover']);
      const mixed = await filtered({ mediaTypes: ['audio', 'image'], folders: true });
      expect(mixed.length).toBe(8 + 8 + 3);
      expect(mixed.slice(0, 3).every((e) => e.filetype === 'folder')).toBe(true);
    });

    it('searches names case-insensitively, with % and _ taken literally', async () => {
      const names = async (search: string) => (await list(owner, { search })).entries.map((e) => e.name);
      const beach = await names('BEACH');
      expect(beach.length).toBe(known.filter((k) => k.name.toLowerCase().includes('beach')).length);
      expect(beach.length).toBeGreaterThan(0);
      expect(await names('100%')).toEqual(expect.arrayContaining([expect.stringContaining('mid_100%')]));
      expect((await names('_1')).every((n) => n.includes('_1'))).toBe(true);
      expect(await names('%')).toEqual(await names('100%'));
      expect(await names('roll')).toEqual(['B-roll']);
      expect(await names('no such name')).toEqual([]);
    });
  });

  describe('deleting', () => {
    it('removes the row and every stored object: original, proxy, thumbnails', async () => {
      const file = await services.factory.media({ owner: alice, derived: true });
      for (const key of [file.original_key, file.proxy_key, file.thumbnails_key]) expect(await stored(key)).toBeDefined();
      await services.media.delete(alice, file.id, false);
      for (const key of [file.original_key, file.proxy_key, file.thumbnails_key]) expect(await stored(key)).toBeUndefined();
      await expect(services.media.describe(alice, file.id)).rejects.toMatchObject({ status: 404 });
      await expect(services.media.delete(alice, file.id, false)).rejects.toMatchObject({ status: 404 });
      expect(await services.objectDeletions.pending()).toBe(0);
    });

    it('refuses a file a project uses with used_in_projects naming the project, unless forced', async () => {
      const file = await services.factory.media({ owner: alice, stored: true });
      const project = await services.factory.project({ owner: alice, name: 'Uses it', data: { clips: [{ src: file.id }] } });
      const refused = services.media.delete(alice, file.id, false);
      await expect(refused).rejects.toMatchObject({ status: 400, type: 'used_in_projects' });
      await expect(refused).rejects.toThrow(project);
      expect(await stored(file.original_key)).toBeDefined();
      await services.media.delete(alice, file.id, true);
      expect(await stored(file.original_key)).toBeUndefined();
    });
  });

  describe('folders', () => {
    it('nests and renames folders, listed as entries with filetype folder; a missing parent is a 404', async () => {
      const top = await services.factory.folder({ owner: alice, name: 'Top' });
      const sub = await services.factory.folder({ owner: alice, name: 'Sub', parent: top });
      await services.folders.rename(alice, sub, 'Renamed');
      await services.folders.rename(alice, sub, undefined);
      const listed = await list(alice, { folderId: top });
      expect(listed.total_count).toBe(1);
      expect(listed.entries[0]).toMatchObject({ id: sub, name: 'Renamed', filetype: 'folder', type: 'folder', folder: top });
      await expect(services.folders.create(alice, 'x', 'missing')).rejects.toMatchObject({ status: 404 });
      await expect(services.folders.rename(alice, 'missing', 'x')).rejects.toMatchObject({ status: 404 });
      await expect(list(alice, { folderId: 'missing' })).rejects.toMatchObject({ status: 404 });
    });

    it('moves files and folders, all or nothing, and refuses moves into a folder’s own subtree', async () => {
      const a = await services.factory.folder({ owner: alice, name: 'A' });
      const b = await services.factory.folder({ owner: alice, name: 'B', parent: a });
      const c = await services.factory.folder({ owner: alice, name: 'C', parent: b });
      const other = await services.factory.folder({ owner: alice, name: 'Other' });
      const file = await services.factory.media({ owner: alice });

      await services.folders.move(alice, c, [file.id], [other]);
      expect(await ids(alice, c)).toEqual([other, file.id]);
      for (const target of [a, b, c, other]) {
        const looping = services.folders.move(alice, target, [], [a]);
        await expect(looping).rejects.toMatchObject({ status: 400 });
        await expect(looping).rejects.toThrow('into itself');
      }
      // Nothing moved by a refused request, even the valid part of it.
      await expect(services.folders.move(alice, null, [file.id], [b, 'missing'])).rejects.toMatchObject({ status: 404 });
      expect(await ids(alice, c)).toEqual([other, file.id]);

      await services.folders.move(alice, null, [file.id], [other]);
      expect(await ids(alice, null)).toEqual(expect.arrayContaining([file.id, other]));
      expect(await ids(alice, c)).toEqual([]);
      await expect(services.folders.move(alice, 'missing', [file.id], [])).rejects.toMatchObject({ status: 404 });
    });

    it('never builds a cycle from two moves racing each other', async () => {
      const x = await services.factory.folder({ owner: alice, name: 'X' });
      const y = await services.factory.folder({ owner: alice, name: 'Y' });
      const results = await Promise.allSettled([services.folders.move(alice, y, [], [x]), services.folders.move(alice, x, [], [y])]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const inY = await ids(alice, y);
      const inX = await ids(alice, x);
      expect(inX.includes(y) && inY.includes(x)).toBe(false);
    });

    it('deletes recursively, with the stored bytes of every file inside, refusing when a project uses one unless forced', async () => {
      const top = await services.factory.folder({ owner: alice, name: 'Doomed' });
      const mid = await services.factory.folder({ owner: alice, name: 'Mid', parent: top });
      const deep = await services.factory.folder({ owner: alice, name: 'Deep', parent: mid });
      const files = [
        await services.factory.media({ owner: alice, folder: top, derived: true }),
        await services.factory.media({ owner: alice, folder: mid, stored: true }),
        await services.factory.media({ owner: alice, folder: deep, derived: true }),
      ];
      const outside = await services.factory.media({ owner: alice, stored: true });
      await services.factory.project({ owner: alice, name: 'Deep user', data: `<clip src="${files[2]!.id}"/>` });
      await expect(services.folders.delete(alice, top, false)).rejects.toMatchObject({ status: 400, type: 'used_in_projects' });
      expect(await stored(files[0]!.original_key)).toBeDefined();

      await services.folders.delete(alice, top, true);
      for (const file of files) {
        for (const key of [file.original_key, file.proxy_key, file.thumbnails_key]) expect(await stored(key)).toBeUndefined();
        await expect(services.media.describe(alice, file.id)).rejects.toMatchObject({ status: 404 });
      }
      for (const folder of [top, mid, deep]) await expect(list(alice, { folderId: folder })).rejects.toMatchObject({ status: 404 });
      expect(await stored(outside.original_key)).toBeDefined();
      await expect(services.folders.delete(alice, top, false)).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('isolation between users', () => {
    it("keeps another user's files and folders out of reach on every operation, moves included", async () => {
      const folder = await services.factory.folder({ owner: alice, name: 'Private' });
      const file = await services.factory.media({ owner: alice, name: 'private.mp4', folder, stored: true });
      const rootFile = await services.factory.media({ owner: alice, name: 'alice-root.mp4' });
      const bobFolder = await services.factory.folder({ owner: bob, name: 'Mine' });
      const bobFile = await services.factory.media({ owner: bob, name: 'bob.mp4' });

      const refusals = [
        () => services.media.describe(bob, file.id),
        () => services.media.state(bob, file.id),
        () => services.media.delete(bob, file.id, true),
        () => list(bob, { folderId: folder }),
        () => services.folders.create(bob, 'intruder', folder),
        () => services.folders.rename(bob, folder, 'pwned'),
        () => services.folders.delete(bob, folder, true),
        () => services.folders.move(bob, folder, [bobFile.id], []),
        () => services.folders.move(bob, bobFolder, [rootFile.id], []),
        () => services.folders.move(bob, bobFolder, [], [folder]),
        () => services.folders.move(bob, null, [file.id], []),
      ];
      for (const refusal of refusals) await expect(refusal()).rejects.toMatchObject({ status: 404, type: 'not_found' });
      expect(await ids(bob, null)).toEqual([bobFolder, bobFile.id]);
      // Alice's things are untouched.
      expect(await ids(alice, folder)).toEqual([file.id]);
      expect(await stored(file.original_key)).toBeDefined();
      expect((await list(alice, { filter: { folders: true, mediaTypes: [], voiceover: false } })).entries.find((e) => e.id === folder)!.name).toBe('Private');
    });

    it("describes many files at once for a project's media list, in the order asked, leaving out others' ids", async () => {
      const mine = [await services.factory.media({ owner: alice, name: 'one.mp4' }), await services.factory.media({ owner: alice, name: 'two.mp4' })];
      const theirs = await services.factory.media({ owner: bob, name: 'theirs.mp4' });
      const described = await services.media.describeMany(alice, [mine[1]!.id, theirs.id, 'not-an-id', mine[0]!.id, mine[1]!.id]);
      expect(described.map((e) => e.name)).toEqual(['two.mp4', 'one.mp4']);
      expect(described[0]).toEqual(await services.media.describe(alice, mine[1]!.id));
    });
  });
  // Last: shared media are listed at the root of every user.
  describe('reused list answers', () => {
    it("reads the user's listing versions with the token, and answers again from them only while nothing the list shows was written", async () => {
      const owner = await services.factory.user('reuser');
      const token = randomUUID();
      await services.identity.bindToken(token, owner);
      const query: MediaListQuery = { startNumber: 0, count: 20, filter: ALL, sortField: 'name', sortOrder: 'asc', folderId: null };
      const names = async () => {
        const viewer = await services.identity.authenticate(token);
        expect(viewer.listingVersions).toBeDefined();
        return (JSON.parse((await services.media.listAnswers.answer(viewer, query)).toString()) as { entries: Array<{ name: string }> }).entries.map(
          (e) => e.name,
        );
      };
      const listed = vi.spyOn(services.media, 'list');
      try {
        await services.factory.media({ owner, name: 'a.mp4' });
        expect(await names()).toEqual(['a.mp4']);
        expect(await names()).toEqual(['a.mp4']);
        expect(listed).toHaveBeenCalledTimes(1);

        // Another user's write leaves the versions, and the answer, as they are.
        await services.factory.media({ owner: bob, name: 'theirs.mp4' });
        expect(await names()).toEqual(['a.mp4']);
        expect(listed).toHaveBeenCalledTimes(1);

        // Any write of the user's files or folders, or of the shared media, is seen at once.
        await services.factory.media({ owner, name: 'b.mp4' });
        expect(await names()).toEqual(['a.mp4', 'b.mp4']);
        await services.factory.folder({ owner, name: 'Cuts' });
        expect(await names()).toEqual(['Cuts', 'a.mp4', 'b.mp4']);
        const shared = await services.factory.media({ owner: null, name: 'c shared.mp4' });
        expect(await names()).toEqual(['Cuts', 'a.mp4', 'b.mp4', 'c shared.mp4']);
        await services.database.db.deleteFrom('media').where('id', '=', shared.id).execute();
        expect(await names()).toEqual(['Cuts', 'a.mp4', 'b.mp4']);
        expect(listed).toHaveBeenCalledTimes(5);
      } finally {
        listed.mockRestore();
      }
    });
  });

  describe('shared test media', () => {
    it('keeps shared test media read-only (403) to delete and to move', async () => {
      const shared = await services.factory.media({ owner: null, name: 'shared.mp4' });
      await expect(services.media.delete(alice, shared.id, true)).rejects.toMatchObject({ status: 403 });
      const folder = await services.factory.folder({ owner: alice });
      await expect(services.folders.move(alice, folder, [shared.id], [])).rejects.toMatchObject({ status: 403 });
      expect(await ids(alice, null)).toContain(shared.id);
    });
  });
});
