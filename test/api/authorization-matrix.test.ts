import fs from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor, type EditorConnection } from '../support/editor-client.js';
import { storedMedia } from '../support/media-factory.js';
import { smallMp4 } from '../support/media.js';
import { clip, followEditing, xtl } from '../support/editing.js';
import { documents, openApiOperations, type Operation } from '../support/openapi-operations.js';

/**
 * The authorization matrix, generated from the OpenAPI document the server serves: every
 * operation is called with no credential, an unknown one, another user's token on this user's
 * objects, another developer's key on this developer's objects, and (admin routes) a user's or
 * developer's credential instead of ADMIN_TOKEN. Each answer must be the documented refusal in
 * the JSON error model, and the database must be exactly as it was (every table, new ones too).
 */

interface Party {
  id: string;
  token: string;
  editor: EditorConnection;
}

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('authorization matrix', () => {
  let server: TestServer;
  let alice: Party;
  let bob: Party;
  let developerA: { id: string; apiKey: string };
  let developerB: { id: string; apiKey: string };
  /** Alice's objects (and developer A's), by the resource they are. */
  const ids: Record<string, string> = {};
  let operations: Operation[];

  const party = async (apiKey: string, name: string): Promise<Party> => {
    const { id } = (await server.api().post('/api/users', { name, apiKey })).body;
    const editor = await connectEditor(server.wsUrl, { authToken: randomUUID(), sessionId: id });
    return { id, token: editor.authToken, editor };
  };

  beforeAll(async () => {
    server = await startTestServer('postgres', {
      AUTH_FAILURE_LIMIT: '0',
      // An unknown token is waited for a moment (a socket binding it may be on its way); not here.
      TOKEN_BIND_WAIT_MS: '0',
      OPEN_REGISTRATION: 'false',
      // Media info tasks fetch 127.0.0.1:9 (nothing listens): the only address tests may reach.
      ALLOW_PRIVATE_URLS: 'true',
      DISPATCH_INTERVAL_MS: '100',
      WORKERS: '1',
    });
    const admin = server.api('test-admin-token');
    developerA = (await admin.post('/api/developers', { name: 'A' })).body;
    developerB = (await admin.post('/api/developers', { name: 'B' })).body;
    alice = await party(developerA.apiKey, 'alice');
    bob = await party(developerB.apiKey, 'bob');
    const api = server.api(alice.token);
    const media = await storedMedia(server, alice.id, {
      original: await fs.readFile(await smallMp4(1)),
      durationHns: 1e7,
      width: 320,
      height: 240,
      audioTracks: ['Track 1'],
    });
    ids.user = alice.id;
    ids.developer = developerA.id;
    ids.media = media.id;
    ids.fileKey = media.original_key!;
    ids.project = (await api.post('/api/projects', { name: 'p', data: { clips: [media.id] } })).body.id;
    ids.action = (await api.post('/api/actions', { project: ids.project, name: 'cut', data: { at: 1 } })).body.id;
    ids.folder = (await api.post('/api/folders', { name: 'f' })).body.id;
    ids.overlay = (await api.post('/api/overlay_img', { data: PNG_1X1 })).body.id;
    ids.upload = (await api.post('/api/upload/media', { size: 10, name: 'a.mp4' })).body.id;
    const render = (
      await api.post('/api/task/editing', {
        xtl_task: xtl(`<group><track>${clip(media.id, '00:00:00:00', '00:00:00:50')}</track></group>`),
        projectId: ids.project,
      })
    ).body;
    ids.task = render.taskId;
    ids.output = render.fileId;
    ids.mediainfo = (await server.api(developerA.apiKey).post('/api/task/mediainfo', { originalUrl: 'http://127.0.0.1:9/none.mp4' })).body.id;
    for (const [name, value] of Object.entries(ids)) expect(value, name).toEqual(expect.any(String));
    // Tasks settle first, so the database holds still while the matrix runs.
    expect((await followEditing(api, ids.task!)).last.status).toBe('completed');
    // Then the media info task, and the work they started (the output's ingest): nothing may move while the matrix runs.
    const { db } = server.controlPlane.database;
    let quiet = 0;
    await vi.waitFor(
      async () => {
        const busy = await sql<{ n: number }>`select count(*)::int as n from tasks where state not in ('completed', 'error', 'aborted')`.execute(db);
        quiet = busy.rows[0]!.n === 0 ? quiet + 1 : 0;
        expect(quiet, 'looks in a row that found no task at work').toBeGreaterThanOrEqual(5);
      },
      { timeout: 120_000, interval: 100 },
    );
    ({ operations } = await openApiOperations(server.url));
  });
  afterAll(async () => {
    await alice?.editor.close();
    await bob?.editor.close();
    await server?.destroy();
  });

  /** Every table's rows, hashed; auth_tokens changes with every socket heartbeat and is left out. */
  const snapshot = async (): Promise<Record<string, string>> => {
    const { db } = server.controlPlane.database;
    const tables = await sql<{
      name: string;
    }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> 'auth_tokens' order by 1`.execute(
      db,
    );
    const out: Record<string, string> = {};
    for (const { name } of tables.rows) {
      const { rows } = await sql<{
        digest: string;
      }>`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from ${sql.table(name)} t`.execute(db);
      out[name] = rows[0]!.digest;
    }
    return out;
  };

  /** The resource an id parameter names, from the path it is on. */
  const RESOURCES: Array<[RegExp, string]> = [
    [/^\/api\/projects/, 'project'],
    [/^\/api\/actions/, 'action'],
    [/^\/api\/mediafiles?\b/, 'media'],
    [/^\/api\/clip_thumbnails?\b/, 'media'],
    [/^\/api\/folders/, 'folder'],
    [/^\/api\/users/, 'user'],
    [/^\/api\/developers/, 'developer'],
    [/^\/api\/task\/mediainfo/, 'mediainfo'],
    [/^\/api\/task\/editing/, 'task'],
    [/^\/api\/upload\/media/, 'upload'],
    [/^\/internal\/tasks/, 'task'],
    [/^\/files\//, 'fileKey'],
  ];
  const ownedId = (op: Operation, param: string): string | undefined => {
    if (param === 'project') return ids.project;
    if (param === 'folder') return ids.folder;
    if (param !== 'id' && param !== 'key') return undefined;
    const resource = RESOURCES.find(([pattern]) => pattern.test(op.path))?.[1];
    return resource === undefined ? undefined : ids[resource];
  };

  /** The request for an operation, filled with Alice's ids where it takes ids. */
  const requestFor = (op: Operation, apiKeyInBody?: string) => {
    let path = op.path;
    let refersToOwned = false;
    for (const p of op.parameters.filter((x) => x.in === 'path')) {
      const id = ownedId(op, p.name);
      refersToOwned ||= id !== undefined;
      path = path.replace(`{${p.name}}`, p.name === 'key' ? (id ?? 'x') : encodeURIComponent(id ?? randomUUID()));
    }
    const query = new URLSearchParams();
    for (const p of op.parameters.filter((x) => x.in === 'query')) {
      const id = ownedId(op, p.name);
      if (id !== undefined) {
        query.set(p.name, id);
        refersToOwned = true;
      } else if (p.required) query.set(p.name, 'x');
    }
    let body: string | undefined;
    let bodyRefersToOwned = false;
    const headers: Record<string, string> = {};
    if (op.bodySchema) {
      const sample: Record<string, unknown> = {};
      for (const [name, schema] of Object.entries<any>(op.bodySchema.properties ?? {})) {
        const value = bodySample(name, schema, apiKeyInBody);
        if (value === undefined) continue;
        if (['project', 'projectId', 'folder', 'files', 'folders', 'xtl_task'].includes(name)) bodyRefersToOwned = true;
        sample[name] = value;
      }
      body = JSON.stringify(sample);
      headers['content-type'] = 'application/json';
    } else if (op.rawBody) {
      body = 'x';
      headers['content-type'] = 'application/octet-stream';
      headers['content-range'] = 'bytes 0-0/10';
    }
    const search = query.toString();
    return { url: `${server.url}${path}${search ? `?${search}` : ''}`, body, headers, refersToOwned, bodyRefersToOwned };
  };

  const bodySample = (name: string, schema: any, apiKey: string | undefined): unknown => {
    switch (name) {
      case 'project':
      case 'projectId':
        return ids.project;
      case 'folder':
        return ids.folder;
      case 'files':
        return [ids.media];
      case 'folders':
        return [];
      case 'xtl_task':
        return xtl(`<group><track>${clip(ids.media!, '00:00:00:00', '00:00:00:50')}</track></group>`);
      case 'apiKey':
        return apiKey;
      case 'data':
        return name === 'data' && schema?.type === 'string' ? 'changed' : { changed: true };
      case 'url':
      case 'originalUrl':
        return 'http://127.0.0.1:9/none.mp4';
      case 'size':
        return 10;
      case 'name':
        return 'attack.mp4';
      case 'outputS3Bucket':
        return undefined;
    }
    // A union or an enum: a value of its first member.
    if (schema?.anyOf?.length) return bodySample(`${name}#`, schema.anyOf[0], apiKey);
    if (schema?.enum?.length) return schema.enum[0];
    const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
    if (type === 'integer' || type === 'number') return 1;
    if (type === 'boolean') return true;
    if (type === 'array') return ['x'];
    if (type === 'object') return { type: 'x', message: 'y' };
    return 'changed';
  };

  const call = async (op: Operation, credential: string | undefined, apiKeyInBody?: string) => {
    const request = requestFor(op, apiKeyInBody);
    const headers = { ...request.headers, ...(credential === undefined ? {} : { authorization: credential }) };
    const res = await fetch(request.url, { method: op.method, headers, body: request.body });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, request };
  };

  const expectRefused = (op: Operation, answer: Awaited<ReturnType<typeof call>>, allowed: number[], what: string) => {
    const where = `${op.name}, ${what}: ${answer.status} ${answer.text.slice(0, 160)}`;
    expect(allowed, where).toContain(answer.status);
    expect(documents(op, answer.status), `${where} (undocumented)`).toBe(true);
    // The error object, or (routes whose editor API answer has an `error` string) the same object beside it.
    const errorObject = typeof answer.json?.error === 'string' ? answer.json.errorDetail : answer.json?.error;
    expect(errorObject, where).toMatchObject({ type: expect.any(String), message: expect.any(String) });
  };

  it('refuses every operation to callers without the right credential, and changes nothing', async () => {
    const baseline = await snapshot();
    const checked: string[] = [];
    const noOwnedIds: string[] = [];
    for (const op of operations) {
      const cases: string[] = [];
      if (op.security === 'authToken') {
        expectRefused(op, await call(op, undefined), [401], 'no token');
        expectRefused(op, await call(op, `unknown-${randomUUID()}`), [404], 'unknown token');
        cases.push('none', 'unknown');
        const { refersToOwned, bodyRefersToOwned } = requestFor(op);
        if (refersToOwned) {
          expectRefused(op, await call(op, bob.token), [404], "another user's token on this user's ids");
          cases.push('other user');
        } else if (bodyRefersToOwned) {
          // Ids in a body: unknown ids are 404, or 400 where the body is checked first (an XTL naming media it cannot use).
          expectRefused(op, await call(op, bob.token), [400, 404], "another user's token with this user's ids in the body");
          cases.push('other user (body)');
        } else if (op.parameters.some((p) => p.in === 'path')) {
          noOwnedIds.push(op.name);
        }
      } else if (op.security === 'apiKey') {
        expectRefused(op, await call(op, undefined), [401], 'no key');
        expectRefused(op, await call(op, `unknown-${randomUUID()}`), [401], 'unknown key');
        cases.push('none', 'unknown');
        if (requestFor(op).refersToOwned) {
          expectRefused(op, await call(op, developerB.apiKey), [404], "another developer's key on this developer's object");
          cases.push('other developer');
        }
      } else if (op.security === 'adminToken') {
        for (const [credential, what] of [
          [undefined, 'no token'],
          [`unknown-${randomUUID()}`, 'unknown token'],
          [alice.token, "a user's token"],
          [developerA.apiKey, "a developer's key"],
        ] as const) {
          expectRefused(op, await call(op, credential), [401], `admin route with ${what}`);
        }
        cases.push('none', 'unknown', 'user', 'developer');
      } else if (op.security === 'taskToken') {
        expectRefused(op, await call(op, undefined), [401], 'no task token');
        // A token is looked up against its task after the body is checked: a malformed report is a 400 either way.
        expectRefused(op, await call(op, `Bearer ${randomUUID()}`), op.bodySchema ? [400, 401] : [401], 'unknown task token');
        cases.push('none', 'unknown');
      } else if (op.path.startsWith('/files/')) {
        expectRefused(op, await call(op, undefined), [403], 'no signature');
        cases.push('no signature');
      } else if (op.method === 'PATCH' && op.path === '/api/users/{id}') {
        // Public by the editor API's design, but a developer's key cannot take another developer's user.
        expectRefused(op, await call(op, undefined, developerB.apiKey), [404], "another developer's key in the body");
        cases.push('other developer');
      }
      if (cases.length === 0) continue;
      checked.push(`${op.name} [${cases.join(', ')}]`);
      const now = await snapshot();
      const changed = Object.keys({ ...baseline, ...now }).filter((table) => baseline[table] !== now[table]);
      expect(changed, `${op.name} changed ${changed.join(', ')}`).toEqual([]);
    }
    // Every protected operation was covered; the list is printed for the reliability report.
    expect(checked.length).toBeGreaterThan(40);
    console.log(`authorization matrix: ${checked.length} operations\n  ${checked.join('\n  ')}`);
    if (noOwnedIds.length > 0) console.log(`operations whose ids were random (no owned object of that kind here): ${noOwnedIds.join(', ')}`);
  }, 180_000);
});
