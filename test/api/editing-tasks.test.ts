import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';
import { makeMedia, smallMp4 } from '../support/media.js';
import { clip, downloadUrl, followEditing, probeOutput, xtl } from '../support/editing.js';
import type { MediaRow } from '../../control-plane/src/db/media-repository.js';
import type { LocalDispatcher } from '../../control-plane/src/work/local-dispatcher.js';
import { renderOverlayPins } from '../../control-plane/src/services/rendering/render-task-kind.js';
import { processAlive } from '../support/processes.js';

const fastWork = {
  WORKERS: '2',
  DISPATCH_INTERVAL_MS: '100',
  WATCHDOG_INTERVAL_MS: '200',
  TASK_HEARTBEAT_INTERVAL_S: '1',
  TASK_HEARTBEAT_TIMEOUT_S: '10',
  MAX_ATTEMPTS: '1',
};

const run = promisify(execFile);

/** A user's uploaded video whose stored bytes are a real file (4 s, 320x240, 25 fps, with a tone). */
async function uploadedVideo(server: TestServer, ownerId: string | null, file: string, durationS: number): Promise<MediaRow> {
  return storedMedia(server, ownerId, {
    name: 'interview.mp4',
    original: await fs.readFile(file),
    durationHns: durationS * 1e7,
    width: 320,
    height: 240,
    audioTracks: ['Track 1'],
  });
}

async function redPng(): Promise<string> {
  const file = await makeMedia('red.png', ['-f', 'lavfi', '-i', 'color=c=red:s=64x32', '-frames:v', '1']);
  return (await fs.readFile(file)).toString('base64');
}

describe('editing tasks', () => {
  let server: TestServer;
  let user: TestUser;
  let video: MediaRow;

  beforeAll(async () => {
    server = await startTestServer('postgres', fastWork);
    user = await signedInUser(server, 'Editor');
    video = await uploadedVideo(server, user.id, await smallMp4(4), 4);
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
  });

  const counts = async () => {
    const { db } = server.controlPlane.database;
    const tasks = await db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'render')
      .executeTakeFirstOrThrow();
    const media = await db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const events = await db
      .selectFrom('domain_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { tasks: Number(tasks.n), media: Number(media.n), events: Number(events.n) };
  };

  it("renders the user's media into library outputs, one per group, with callbacks events", async () => {
    const shared = await uploadedVideo(server, null, await smallMp4(3), 3);
    const overlay = await user.api.post('/api/overlay_img', { data: await redPng() });
    expect(overlay.status).toBe(200);
    const project = await user.api.post('/api/projects', { name: 'Trailer' });
    const document = xtl(
      `<group>
        <track>
          ${clip(video.id, '00:00:00:40', '00:00:02:00')}
          ${clip(video.id, '00:00:03:00', '00:00:03:60')}
        </track>
        <track audio="0">
          <clip src="${overlay.body.id}" start="00:00:00:00" stop="00:00:01:00" mstart="00:00:00:00" timeFormat="time10ms">
            <param name="x" value="10"/><param name="y" value="10"/><param name="width" value="64"/>
          </clip>
        </track>
      </group>`,
      `<group output="music bed.m4a">
        <track video="0">${clip(shared.id, '00:00:00:00', '00:00:01:50')}</track>
      </group>`,
    );
    const created = await user.api.post('/api/task/editing', { xtl_task: document, projectId: project.body.id });
    expect(created.status, created.text).toBe(200);
    const { taskId, fileId } = created.body;
    expect(taskId).toMatch(/^[\w-]{22}$/);

    // The output entries are in the library at once, rendering.
    const pending = await user.api.get(`/api/mediafiles/${fileId}`);
    expect(pending.body).toMatchObject({ type: 'output', status: 'render', taskId, mediaType: 'video', filetype: 'mp4' });
    const pins = await renderOverlayPins(server.controlPlane.database.db).pinned();
    expect(pins.has(overlay.body.id)).toBe(true);

    expect((await user.api.get('/api/stat')).body.activeRenderTasksCount).toBeGreaterThanOrEqual(1);
    const { last, statuses, progressSeen } = await followEditing(user.api, taskId);
    expect((await renderOverlayPins(server.controlPlane.database.db).pinned()).has(overlay.body.id)).toBe(false);
    expect(last).toMatchObject({ id: taskId, status: 'completed', progress: 100, error: null });
    expect(statuses).toContain('running');
    expect(progressSeen).toEqual([...progressSeen].sort((a, b) => a - b));
    expect(last.outputUrls).toHaveLength(2);

    // What a viewer gets: 1.6 s + 0.6 s at 25 fps is 55 frames; the second output is sound only.
    const first = await probeOutput(await downloadUrl(last.outputUrls[0]!, 'first.mp4'));
    expect(first.frames).toBe(55);
    expect(first.durationS).toBeCloseTo(2.2, 1);
    expect(first).toMatchObject({ width: 320, height: 240, hasAudio: true });
    const second = await probeOutput(await downloadUrl(last.outputUrls[1]!, 'second.m4a'));
    expect(second).toMatchObject({ frames: 0, hasAudio: true });
    expect(second.durationS).toBeCloseTo(1.5, 1);

    // Both outputs are library entries of type output, ready, with their size and duration.
    const library = await user.api.get('/api/mediafiles?count=100');
    const outputs = library.body.entries.filter((e: { taskId: string }) => e.taskId === taskId);
    expect(outputs.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^output_\d{8}_\d{6}-1\.mp4$/), 'music bed.m4a']),
    );
    const entry = outputs.find((e: { id: string }) => e.id === fileId);
    expect(entry).toMatchObject({ type: 'output', status: 'ready', progress: 100, error: null, width: 320, height: 240, taskId });
    expect(entry.duration / 1e7).toBeCloseTo(2.2, 1);
    expect(entry.size).toBeGreaterThan(1000);
    expect(await probeOutput(await downloadUrl(entry.previewUrl, 'entry.mp4'))).toMatchObject({ frames: 55 });
    expect(outputs.find((e: { id: string }) => e.id !== fileId)).toMatchObject({ mediaType: 'audio', filetype: 'm4a', status: 'ready' });

    // Ingest takes the output from there: probed, a poster and timeline thumbnails, still the render's entry.
    const ingested = await vi.waitFor(
      async () => {
        const body = (await user.api.get(`/api/mediafiles/${fileId}`)).body;
        expect(body.thumbnail).not.toBe('');
        return body;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(ingested).toMatchObject({ status: 'ready', error: null, taskId, audioTracks: ['Track 1'], width: 320, height: 240 });
    expect(Buffer.from(ingested.thumbnail, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(Math.abs(ingested.duration - 2.2e7)).toBeLessThan(0.05e7);
    const strip = await user.api.get(`/api/clip_thumbnails?id=${fileId}&start_time=0&step=10000000&count=2&cached=true`);
    expect(strip.status).toBe(200);
    expect(strip.body.thumbnails.map((t: { time: number }) => t.time)).toEqual([0, 1e7]);
    expect(Buffer.from(strip.body.thumbnails[1].data, 'base64').subarray(1, 4).toString()).toBe('PNG');

    // The engine's decisions are in the task's log; render_start and render_complete were raised.
    const task = await server.controlPlane.services.work.store.get(taskId);
    expect(task!.log.some((line) => /^group 0: full/.test(line))).toBe(true);
    const events = await server.controlPlane.database.db
      .selectFrom('domain_events')
      .select(['type', 'payload'])
      .where('user_id', '=', user.id)
      .where('type', 'in', ['render_start', 'render_complete'])
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['render_start', 'render_complete']);
    expect(events[0]!.payload).toEqual({ projectId: project.body.id });
    expect(events[1]!.payload).toMatchObject({ projectId: project.body.id, error: '' });
    expect(await probeOutput(await downloadUrl(events[1]!.payload.downloadUrl as string, 'callback.mp4'))).toMatchObject({ frames: 55 });
  });

  it('refuses what cannot be rendered with a 400 naming the place, creating nothing', async () => {
    const other = await signedInUser(server, 'Someone else');
    const theirs = await uploadedVideo(server, other.id, await smallMp4(4), 4);
    const uploading = await storedMedia(server, user.id, { name: 'half.mp4', status: 'upload' });
    await other.editor.close();
    const before = await counts();
    const cases: Array<[string, string, RegExp]> = [
      ['malformed XML', '<timelines version="2"><timeline><group><track>', /^XTL error/],
      ['a wrong element', xtl(`<group><track><Clip src="${video.id}"/></track></group>`), /<Clip>.*line 3/],
      [
        'an unknown source',
        xtl(`<group><track>\n${clip('no-such-media', '00:00:00:00', '00:00:01:00')}</track></group>`),
        /<clip>, attribute "src", line 4: no media file "no-such-media"/,
      ],
      [
        "another user's media",
        xtl(`<group><track>${clip(theirs.id, '00:00:00:00', '00:00:01:00')}</track></group>`),
        new RegExp(`no media file "${theirs.id}"`),
      ],
      ['media still uploading', xtl(`<group><track>${clip(uploading.id, '00:00:00:00', '00:00:01:00')}</track></group>`), /not stored yet \(status: upload\)/],
      [
        'a clip past its source',
        xtl(`<group><track>\n${clip(video.id, '00:00:01:00', '00:00:09:00')}</track></group>`),
        /clip at line 4 ends at 9.000s of source ".*", which lasts 4.000s/,
      ],
      [
        'too many different sources',
        xtl(`<group><track>${Array.from({ length: 1001 }, (_, i) => clip(`s${i}`, '00:00:00:00', '00:00:00:10')).join('')}</track></group>`),
        /1001 different sources; at most 1000/,
      ],
      [
        'a codec the container cannot hold',
        xtl(`<group container="webm" vcodec="h264"><track>${clip(video.id, '00:00:00:00', '00:00:01:00')}</track></group>`),
        /vcodec="h264" cannot go in webm/,
      ],
    ];
    for (const [what, document, message] of cases) {
      const res = await user.api.post('/api/task/editing', { xtl_task: document });
      expect(res.status, what).toBe(400);
      // The editor API's answer carries the message in its `error` string; the error object rides beside it.
      expect(res.body.error, what).toMatch(message);
      expect(res.body, what).toMatchObject({ taskId: '', fileId: '', errorDetail: { type: 'bad_request', message: res.body.error } });
    }
    expect(
      (
        await user.api.post('/api/task/editing', {
          xtl_task: xtl(`<group><track>${clip(video.id, '00:00:00:00', '00:00:01:00')}</track></group>`),
          projectId: 'nope',
        })
      ).status,
    ).toBe(404);
    expect((await user.api.post('/api/task/editing', {})).status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it("answers 404 for another user's task, exactly as for a missing one", async () => {
    const created = await user.api.post('/api/task/editing', {
      xtl_task: xtl(`<group><track>${clip(video.id, '00:00:00:00', '00:00:00:40')}</track></group>`),
    });
    const other = await signedInUser(server, 'Snoop');
    for (const id of [created.body.taskId, 'missing-task-id']) {
      expect((await other.api.get(`/api/task/editing?id=${id}`)).status).toBe(404);
      expect((await other.api.delete(`/api/task/editing?id=${id}`)).status).toBe(404);
    }
    await other.editor.close();
    expect((await followEditing(user.api, created.body.taskId)).last.status).toBe('completed');
    // The editor API's quoted form of the id works too.
    expect((await user.api.get(`/api/task/editing?id="${created.body.taskId}"`)).body.status).toBe('completed');
  });

  it('stops a render mid-way within seconds, leaving no process, entry or object behind', async () => {
    const long = await uploadedVideo(server, user.id, await smallMp4(30), 30);
    const created = await user.api.post('/api/task/editing', {
      xtl_task: xtl(`<group width="1920" height="1080" quality="high"><track>${clip(long.id, '00:00:00:00', '00:00:30:00')}</track></group>`),
    });
    const { taskId, fileId } = created.body;
    await followEditing(user.api, taskId, { until: (s) => s.status === 'running' && s.progress > 0, timeoutMs: 60_000 });
    const dispatcher = server.controlPlane.services.dispatcher as LocalDispatcher;
    const pid = dispatcher.pidOf(taskId);
    expect(pid).toBeDefined();

    expect((await user.api.get(`/api/mediafiles/${fileId}`)).body.status).toBe('render');
    // The render node's own ffmpeg processes (its children), found while it runs.
    const children = (await run('ps', ['-eo', 'pid=,ppid=,args='])).stdout
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
      .filter((m) => m !== null && Number(m[2]) === pid && /^\S*ffmpeg /.test(m[3]!));
    const ffmpegPids = children.map((m) => Number(m![1]));
    expect(ffmpegPids.length).toBeGreaterThan(0);
    const stopped = await user.api.delete(`/api/task/editing?id=${taskId}`);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toEqual({ status: '' });
    // The bound only proves that the stop does not wait for the render to end (it would take minutes).
    const { last } = await followEditing(user.api, taskId, { timeoutMs: 10_000 });
    expect(last.status).toBe('aborted');
    expect(processAlive(pid!)).toBe(false);
    expect(ffmpegPids.filter(processAlive)).toEqual([]);

    expect((await user.api.get(`/api/mediafiles/${fileId}`)).status).toBe(404);
    const { storage } = server.controlPlane.services;
    const left: string[] = [];
    for await (const object of storage.list(`media/${user.id}/${fileId}/`)) left.push(object.key);
    expect(left).toEqual([]);
    // Deleting again, or deleting a finished task, changes nothing.
    expect((await user.api.delete(`/api/task/editing?id=${taskId}`)).body).toEqual({ status: '' });
    expect((await user.api.get(`/api/task/editing?id=${taskId}`)).body.status).toBe('aborted');
  });
});
