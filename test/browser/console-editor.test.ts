import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeMedia } from '../support/media.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { accessibilityViolations, collectConsoleErrors, saveScreenshot } from '../support/console-checks.js';

/** A page on a loaded machine may take seconds to react: polls wait up to 15 s unless told otherwise. */
const poll: typeof expect.poll = (fn, options) => expect.poll(fn, { timeout: 15_000, ...(typeof options === 'number' ? { timeout: options } : options) });

/**
 * The reference editor at `/`, clicked through as a person would: an upload that loses its
 * connection and then the page, resumed from where the server held it; several files at once;
 * the library; a timeline with two clips, a crossfade, a picture-in-picture overlay and a text
 * overlay, rendered and checked frame by frame; a project saved, edited, undone, redone and
 * reopened after a reload.
 */

const run = promisify(execFile);
const W = 320;
const H = 240;
const FPS = 25;

const solid = (name: string, color: string, seconds: number) =>
  makeMedia(`${name}.mp4`, [
    '-f',
    'lavfi',
    '-i',
    `color=c=${color}:s=${W}x${H}:r=${FPS}:d=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-shortest',
  ]);

/** Noise does not compress: a file of a few MB that needs several chunks. */
const noisy = () =>
  makeMedia('noise.mp4', [
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=${W}x${H}:r=${FPS}:d=2`,
    '-vf',
    'noise=alls=80:allf=t+u',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '10',
    '-pix_fmt',
    'yuv420p',
  ]);

/** Every frame of a video as RGB, at the video's own size. */
async function decodeFrames(file: string): Promise<Buffer[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 256 * 2 ** 20,
  });
  const size = W * H * 3;
  const frames: Buffer[] = [];
  for (let offset = 0; offset + size <= stdout.length; offset += size) frames.push(stdout.subarray(offset, offset + size));
  return frames;
}

function pixel(frame: Buffer, x: number, y: number): [number, number, number] {
  const i = (y * W + x) * 3;
  return [frame[i]!, frame[i + 1]!, frame[i + 2]!];
}

type Rgb = [number, number, number];
const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const GREEN: Rgb = [0, 128, 0];
const WHITE: Rgb = [255, 255, 255];
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [0, 1, 2].map((i) => a[i]! * (1 - t) + b[i]! * t) as Rgb;
const close = (actual: Rgb, expected: Rgb, tolerance = 40) => actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);

describe.runIf(chromiumAvailable)('the reference editor in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100', WORKERS: '2' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectConsoleErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
  });

  const card = (name: string) => page.locator(`[data-testid="media-card"][data-name="${name}"]`);
  const fileInput = () => page.getByLabel('Choose files to upload');
  const commit = async (field: Locator, value: string) => {
    await field.fill(value);
    await field.press('Enter');
  };

  it('opens a session, and resumes an upload after a dropped connection and a reload', async () => {
    await page.goto(`${server.url}/`);
    await poll(() => page.getByTestId('session-status').textContent()).toMatch(/^Connected/);
    const sessionId = new URL(page.url()).searchParams.get('session_id');
    expect(sessionId).toMatch(/^[\w-]{22}$/);

    const file = await noisy();
    const size = (await fs.stat(file)).size;
    expect(size).toBeGreaterThan(1024 * 1024);
    // The first chunk goes through; then the network fails under the upload.
    let puts = 0;
    await page.route('**/api/upload/media?id=*', (route) =>
      route.request().method() === 'PUT' && ++puts > 1 ? route.abort('connectionreset') : route.continue(),
    );
    await fileInput().setInputFiles(file);
    await poll(() => page.getByTestId('upload-row').getAttribute('data-state'), { timeout: 20_000 }).toBe('retrying');
    // The page goes away mid-upload (the network still failing, so no retry of the old page
    // gets through); the next one lists the upload and resumes it.
    await page.reload();
    await page.unroute('**/api/upload/media?id=*');
    await poll(() => page.getByTestId('session-status').textContent()).toMatch(/^Connected/);
    expect(new URL(page.url()).searchParams.get('session_id')).toBe(sessionId);
    await poll(() => page.getByTestId('unfinished-upload').textContent()).toMatch(/^noise\.mp4 — 256 KiB of/);
    errors.length = 0;
    const ranges: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT' && request.url().includes('/api/upload/media')) ranges.push(request.headers()['content-range']!);
    });
    await fileInput().setInputFiles(file);
    await poll(() => page.getByTestId('upload-row').getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await page.getByTestId('upload-row').textContent()).toContain('(resumed at 256 KiB)');
    // It asked what the server held, then sent only the rest.
    expect(ranges[0]).toBe(`bytes */${size}`);
    expect(ranges[1]).toMatch(new RegExp(`^bytes 262144-\\d+/${size}$`));
    expect(ranges.some((range) => range.startsWith('bytes 0-'))).toBe(false);
    await poll(() => card('noise.mp4').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready');
    await poll(() => card('noise.mp4').getAttribute('data-progress'), { timeout: 60_000 }).toBe('100');
    // What arrived is the very file: ingest read its length.
    const entry = (await server.api(await tokenOf(page)).get('/api/mediafiles?search=noise')).body.entries[0];
    expect(entry).toMatchObject({ size, mediaType: 'video', width: W, height: H, duration: 20_000_000 });
    expect(await page.getByTestId('unfinished-upload').count()).toBe(0);
  });

  it('uploads several files at once and browses the library', async () => {
    await fileInput().setInputFiles([await solid('red', 'red', 3), await solid('blue', 'blue', 3), await solid('green', 'green', 2)]);
    for (const name of ['red.mp4', 'blue.mp4', 'green.mp4']) {
      await poll(() => card(name).getAttribute('data-status'), { timeout: 90_000 }).toBe('ready');
      await poll(() => card(name).getAttribute('data-progress'), { timeout: 90_000 }).toBe('100');
      await poll(() => card(name).locator('img').count()).toBe(1);
    }
    await page.getByLabel('Search media').fill('re');
    await poll(() => page.getByTestId('media-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-name')).sort())).toEqual([
      'green.mp4',
      'red.mp4',
    ]);
    await page.getByLabel('Search media').fill('');
    await page.getByLabel('Sort by').selectOption('name');
    await page.getByLabel('Order').selectOption('asc');
    await poll(() => page.getByTestId('media-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-name')))).toEqual([
      'blue.mp4',
      'green.mp4',
      'noise.mp4',
      'red.mp4',
    ]);
    await page.getByLabel('audio', { exact: true }).check();
    await poll(() => page.getByTestId('media-card').count()).toBe(0);
    await page.getByLabel('audio', { exact: true }).uncheck();
    await page.getByLabel('New folder').fill('Rushes');
    await page.getByRole('button', { name: 'Create folder' }).click();
    await page.getByRole('button', { name: 'Open folder Rushes' }).click();
    await poll(() => page.getByTestId('media-card').count()).toBe(0);
    await page.getByRole('button', { name: 'Library', exact: true }).click();
    await poll(() => page.getByTestId('media-card').count()).toBe(5);
  });

  it('plays and seeks a clip, and shows its thumbnail strip', async () => {
    await page.getByRole('button', { name: 'Select red.mp4' }).click();
    const video = page.getByTestId('preview-video');
    await poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
    await page.getByLabel('Position').fill('15000000');
    await poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeCloseTo(1.5, 1);
    await poll(() => page.getByTestId('thumbnail-strip').locator('img').count()).toBe(10);
  });

  it('builds a timeline with a transition, an overlay and text, renders it, and the frames are right', async () => {
    await page.getByRole('button', { name: 'Add to main track' }).click();
    const first = page.getByTestId('main-clip').nth(0);
    await commit(first.getByLabel('Out (s)'), '2');
    await page.getByRole('button', { name: 'Select blue.mp4' }).click();
    // The player shows the selected file once it is playable; only then does "Add" take it.
    await page.getByLabel('Preview of blue.mp4').waitFor();
    await page.getByRole('button', { name: 'Add to main track' }).click();
    await poll(() => page.getByTestId('main-clip').count()).toBe(2);
    const second = page.getByTestId('main-clip').nth(1);
    await commit(second.getByLabel('In (s)'), '1');
    await second.getByLabel('Transition in').selectOption('crossfade');
    await commit(second.getByLabel('Transition (s)'), '0.8');
    await page.getByRole('button', { name: 'Select green.mp4' }).click();
    await page.getByLabel('Preview of green.mp4').waitFor();
    await page.getByRole('button', { name: 'Add as overlay' }).click();
    await poll(() => page.getByTestId('overlay-clip').count()).toBe(1);
    const overlay = page.getByTestId('overlay-clip').nth(0);
    await commit(overlay.getByLabel('Starts at (s)'), '0.4');
    await commit(overlay.getByLabel('Out (s)'), '0.8');
    await page.getByLabel('Text', { exact: true }).fill('Hi');
    await page.getByLabel('Starts at (s)').last().fill('2');
    await page.getByLabel('Lasts (s)').last().fill('1');
    await page.getByRole('button', { name: 'Add text' }).click();
    await poll(() => page.getByTestId('timeline-length').textContent()).toBe('Length 0:03.20');

    await page.getByText('XTL of this timeline').click();
    const xtl = await page.getByTestId('xtl').textContent();
    expect(xtl).toContain('<transition type="crossfade" duration="8000000" timeFormat="100ns_units"/>');
    expect(xtl).toMatch(/<clip src="[\w-]+" start="4000000" stop="12000000" mstart="0" timeFormat="100ns_units">/);

    await page.getByRole('button', { name: 'Render' }).click();
    await poll(() => page.getByTestId('render-status').getAttribute('data-status'), { timeout: 120_000, interval: 500 }).toBe('completed');
    const output = page.getByTestId('output-video');
    await poll(() => output.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
    expect(await output.evaluate((v: HTMLVideoElement) => v.duration)).toBeCloseTo(3.2, 1);
    await saveScreenshot(page, 'console-editor');

    // Download it as the link offers, and look at every frame.
    const href = await page.getByTestId('download-output').getAttribute('href');
    expect(await page.getByTestId('download-output').getAttribute('download')).toBe('cut.mp4');
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-console-')), 'cut.mp4');
    await fs.writeFile(file, Buffer.from(await (await fetch(href!)).arrayBuffer()));
    const frames = await decodeFrames(file);
    expect(frames.length).toBeGreaterThanOrEqual(79);
    expect(frames.length).toBeLessThanOrEqual(81);

    const base = (n: number): Rgb => {
      const t = n / FPS;
      return t < 1.2 ? RED : t >= 2 ? BLUE : mix(RED, BLUE, (t - 1.2) / 0.8);
    };
    const expected = (n: number) => ({
      // Away from every overlay: the main track, with the crossfade from 1.2 s to 2.0 s.
      plain: base(n),
      // Inside the picture-in-picture box (x 60 %, y 10 %, 30 % wide) from 0.4 s to 1.2 s.
      pip: n >= 10 && n < 30 ? GREEN : base(n),
      // Inside the text's white box (x 5 %, y 75 %) from 2 s to 3 s.
      text: n >= 50 && n < 75 ? WHITE : base(n),
    });
    const mismatches: string[] = [];
    for (const [n, frame] of frames.entries()) {
      const seen = { plain: pixel(frame, 40, 100), pip: pixel(frame, 240, 60), text: pixel(frame, 20, 185) };
      for (const where of ['plain', 'pip', 'text'] as const) {
        // A boundary may fall one frame either side of where the arithmetic puts it.
        const ok = [n, n - 1, n + 1].some((m) => m >= 0 && close(seen[where], expected(m)[where]));
        if (!ok) mismatches.push(`frame ${n} ${where}: ${seen[where].join(',')} expected ${expected(n)[where].map(Math.round).join(',')}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The crossfade really blends: a frame half-way is neither red nor blue.
    const middle = pixel(frames[40]!, 40, 100);
    expect(close(middle, mix(RED, BLUE, 0.5), 50)).toBe(true);
  });

  it('saves a project, undoes and redoes through the action history, and reopens it after a reload', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Red to blue');
    await page.getByRole('button', { name: 'Save as new project' }).click();
    await poll(() => page.getByTestId('current-project').textContent()).toBe('Project: Red to blue');
    const xtl = () => page.getByTestId('xtl').textContent();
    const firstOut = async () => /<clip src="[\w-]+" start="0" stop="(\d+)"/.exec((await xtl())!)?.[1];

    // Each edit is recorded in the history (POST /api/actions), whose answer re-renders the editor:
    // held until the next field is being typed in, it must not put back what is typed there.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/actions', async (route) => {
      if (route.request().method() === 'POST') await held;
      await route.continue();
    });
    const recorded = page.waitForResponse((r) => r.url().endsWith('/api/actions') && r.request().method() === 'POST');
    await commit(page.getByTestId('main-clip').nth(0).getByLabel('Out (s)'), '1.5');
    await poll(firstOut).toBe('15000000');
    const x = page.getByTestId('overlay-clip').nth(0).getByLabel('X %');
    await x.fill('10');
    release();
    await recorded;
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await x.inputValue()).toBe('10');
    await x.press('Enter');
    await page.unroute('**/api/actions');
    await poll(xtl).toContain('<param name="x" value="10%"/>');
    await page.getByRole('button', { name: 'Undo' }).click();
    await poll(xtl).toContain('<param name="x" value="60%"/>');
    await page.getByRole('button', { name: 'Undo' }).click();
    await poll(firstOut).toBe('20000000');
    await page.getByRole('button', { name: 'Redo' }).click();
    await poll(firstOut).toBe('15000000');

    // The server holds the same history: two actions, the newest undone.
    const api = server.api(await tokenOf(page));
    const [project] = (await api.get('/api/projects?search=Red%20to%20blue')).body.entries;
    const actions = (await api.get(`/api/actions?project=${project.id}`)).body.entries;
    expect(actions.map((a: { name: string; canceled: boolean }) => [a.name, a.canceled])).toEqual([
      ['out point', false],
      ['overlay x', true],
    ]);
    await page.reload();
    await poll(() => page.getByTestId('session-status').textContent()).toMatch(/^Connected/);
    await page.getByRole('button', { name: 'Open project Red to blue' }).click();
    await poll(() => page.getByTestId('current-project').textContent()).toBe('Project: Red to blue');
    await page.getByText('XTL of this timeline').click();
    await poll(firstOut).toBe('15000000');
    expect(await xtl()).toContain('<param name="x" value="60%"/>');
    expect(await page.getByTestId('main-clip').count()).toBe(2);
    // The redo branch came back with it.
    await page.getByRole('button', { name: 'Redo' }).click();
    await poll(xtl).toContain('<param name="x" value="10%"/>');

    expect(await accessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});

/** The editor's auth token, as the page keeps it for the tab. */
async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() => Object.entries(sessionStorage).find(([key]) => key.startsWith('cutroom.token.'))![1]);
}
