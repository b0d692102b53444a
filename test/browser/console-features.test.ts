import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { accessibilityViolations, collectConsoleErrors, saveScreenshot } from '../support/console-checks.js';
import { downloadUrl } from '../support/editing.js';
import { decodeMono } from '../support/audio-analysis.js';
import { makeTestVideo } from '../../render-node/src/test-support/lavfi-media.js';
import { frameCount, framePsnrs, SAME_FRAME_DB, streamsOf } from '../../render-node/src/test-support/media-checks.js';
import { makeZip } from '../../render-node/src/test-support/zip-files.js';

/** A page on a loaded machine may take seconds to react: polls wait up to 15 s unless told otherwise. */
const poll: typeof expect.poll = (fn, options) => expect.poll(fn, { timeout: 15_000, ...(typeof options === 'number' ? { timeout: options } : options) });

/**
 * The editor's optional features on a server that has their routes: music from the shared audio
 * library put under the timeline; a voiceover recorded from Chromium's fake microphone, found in
 * the library and rendered as sound; and an EDL project imported from a zip, opened and
 * rendered to the frames it names.
 */

const run = promisify(execFile);

const TWO_CUTS = [
  'TITLE: two cuts',
  'FCM: NON-DROP FRAME',
  '001  BETA     V     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00',
  '* SOURCE FILE: beta.mp4',
  '002  BETA     V     C        00:00:02:00 00:00:03:00 00:00:01:00 00:00:02:00',
  '* SOURCE FILE: beta.mp4',
  '',
].join('\n');

describe.runIf(chromiumAvailable)('the editor features in Chromium', () => {
  let base: string;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let beta: string;

  beforeAll(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-console-features-'));
    const files = path.join(base, 'files');
    await fs.mkdir(files);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', path.join(files, 'funk.mp3')]);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=2', path.join(files, 'piano.mp3')]);
    const list = path.join(base, 'audioLib.json');
    await fs.writeFile(
      list,
      JSON.stringify({
        entries: [
          { name: 'Funk.mp3', relativePath: 'funk.mp3', category: 'Electro', type: 'music' },
          { name: 'Piano.mp3', relativePath: 'piano.mp3', category: 'Calm', type: 'music' },
        ],
      }),
    );
    beta = await makeTestVideo(base, 'beta', { durationS: 4, fps: '25' });
    await fs.writeFile(
      path.join(base, 'two cuts.zip'),
      await makeZip([
        { name: 'two cuts/cut.edl', data: TWO_CUTS },
        { name: 'two cuts/beta.mp4', data: await fs.readFile(beta), compress: false },
      ]),
    );
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100', WORKERS: '2', AUDIOLIB_JSON_LIST: list, AUDIOLIB_FILES_DIR: files });
    const admin = server.api('test-admin-token');
    await admin.post('/api/import/audiolib_json', {});
    await vi.waitFor(async () => expect((await admin.get('/api/import/audiolib_json')).body.state).not.toBe('running'), { timeout: 30_000, interval: 50 });
    browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectConsoleErrors(page);
    await page.goto(`${server.url}/`);
    await page.getByTestId('session-status').getByText('Connected').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('browses the audio library by category and puts music under the timeline', async () => {
    await poll(() => page.getByTestId('audiolib-entry').count()).toBe(2);
    await page.getByLabel('Category').selectOption({ label: 'Calm (1)' });
    await poll(() => page.getByTestId('audiolib-entry').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))).toEqual(['Piano.mp3']);
    await page.getByRole('button', { name: 'Add to sound: Piano.mp3' }).click();
    await poll(() => page.getByTestId('sound-clip').count()).toBe(1);
    const piano = (await server.api(await tokenOf(page)).get('/api/audiolib_files?search=piano')).body.entries[0];
    await page.getByText('XTL of this timeline').click();
    const xtl = await page.getByTestId('xtl').textContent();
    expect(xtl).toContain('<track video="0">');
    expect(piano.duration).toBeGreaterThan(0);
    expect(xtl).toContain(`<clip src="${piano.id}" start="0" stop="${piano.duration}" mstart="0" timeFormat="100ns_units">`);
    expect(xtl).toContain('<param name="volume" value="0.5"/>');
  });

  it('records a voiceover from the microphone, shows it under the voiceover filter, and renders it as sound', async () => {
    const panel = page.getByRole('region', { name: 'Voiceover' });
    const recorder = () => panel.getByTestId('voiceover-recorder').getAttribute('data-state');
    // A first take, started from the keyboard, is thrown away: it never reaches the library.
    await panel.getByRole('button', { name: 'Record' }).focus();
    await page.keyboard.press('Enter');
    await poll(recorder).toBe('recording');
    await panel.getByRole('button', { name: 'Discard' }).click();
    await poll(recorder).toBe('idle');
    await panel.getByLabel('Recording name').fill('Narration');
    await panel.getByRole('button', { name: 'Record' }).click();
    await poll(recorder).toBe('recording');
    await poll(() => panel.getByRole('timer', { name: 'Recording time' }).textContent()).toMatch(/0:0[2-9]\.\d\d$/);
    // Focus moved to "Stop and keep": the keyboard ends the take.
    await page.keyboard.press('Enter');
    await poll(recorder).toBe('idle');
    const take = panel.locator('[data-testid="voiceover-entry"][data-name="Narration"]');
    await poll(() => take.getAttribute('data-status'), { timeout: 60_000 }).toBe('ready');

    const library = page.getByRole('region', { name: 'Library' });
    await library.getByLabel('voiceover', { exact: true }).check();
    await poll(() =>
      library.getByTestId('media-card').evaluateAll((cards) => cards.map((c) => [c.getAttribute('data-name'), c.getAttribute('data-status')])),
    ).toEqual([['Narration', 'ready']]);
    await library.getByLabel('voiceover', { exact: true }).uncheck();
    await saveScreenshot(page, 'console-voiceover');
    expect(await accessibilityViolations(page)).toEqual([]);

    // Only the voiceover under the timeline: the render's sound is the take, as long as it.
    await page.getByRole('button', { name: 'Remove sound Piano.mp3' }).click();
    await panel.getByRole('button', { name: 'Add to sound: Narration' }).click();
    await poll(() => page.getByTestId('sound-clip').count()).toBe(1);
    const [recorded] = (await server.api(await tokenOf(page)).get('/api/mediafiles?filter=voiceover')).body.entries;
    expect(recorded.duration).toBeGreaterThan(20_000_000);
    const output = await renderAndDownload(page, 'voiceover.mp4');
    const audio = (await streamsOf(output)).find((s) => s.codec_type === 'audio');
    expect(Math.abs(Number(audio?.duration) - recorded.duration / 1e7)).toBeLessThan(0.1);
    // Chromium's fake microphone beeps: the output is not silence.
    expect((await decodeMono(output)).reduce((max, v) => Math.max(max, Math.abs(v)), 0)).toBeGreaterThan(0.05);
  });

  it('imports an EDL project from a zip, opens it on the timeline, and renders the frames it names', async () => {
    await page.getByLabel('Project zip (EDL, OTIO or FCP XML with its media)').setInputFiles(path.join(base, 'two cuts.zip'));
    await poll(() => page.getByTestId('project-import').getAttribute('data-stage'), { timeout: 90_000, interval: 500 }).toBe('ready');
    expect(await page.getByTestId('project-import').getAttribute('data-failed')).toBe('false');
    await page.getByLabel('Find a project').fill('two');
    await page.getByRole('button', { name: 'Open project two cuts' }).click();
    await poll(() => page.getByTestId('current-project').textContent()).toBe('Project: two cuts');
    await poll(() => page.getByTestId('main-clip').count()).toBe(2);
    const xtl = await page.getByTestId('xtl').textContent();
    expect(xtl).toMatch(
      /<clip src="[\w-]+" start="0" stop="10000000" timeFormat="100ns_units"\/>\s*<clip src="[\w-]+" start="20000000" stop="30000000" timeFormat="100ns_units"\/>/,
    );
    expect(await accessibilityViolations(page)).toEqual([]);

    const output = await renderAndDownload(page, 'two-cuts.mp4');
    const reference = [
      { file: beta, firstFrame: 0, lastFrame: 24 },
      { file: beta, firstFrame: 50, lastFrame: 74 },
    ];
    expect(await frameCount(output)).toBe(50);
    const psnrs = await framePsnrs(output, reference);
    expect(psnrs).toHaveLength(50);
    expect(psnrs.map((db, frame) => ({ frame, db })).filter(({ db }) => db < SAME_FRAME_DB)).toEqual([]);
    // The comparison tells neighbouring frames apart.
    expect((await framePsnrs(output, reference, { shift: 1 })).filter((db) => db < SAME_FRAME_DB).length).toBeGreaterThan(40);
    expect(errors).toEqual([]);
  });
});

/** Clicks Render, waits for this render (not an earlier one) to complete, and downloads its output. */
async function renderAndDownload(page: Page, name: string): Promise<string> {
  const status = page.getByTestId('render-status');
  const earlier = (await status.count()) > 0 ? await status.getAttribute('data-task-id') : null;
  await page.getByRole('button', { name: 'Render', exact: true }).click();
  await poll(() => status.getAttribute('data-task-id')).not.toBe(earlier);
  await poll(() => status.getAttribute('data-status'), { timeout: 120_000, interval: 500 }).toBe('completed');
  return downloadUrl((await page.getByTestId('download-output').getAttribute('href'))!, name);
}

async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() => Object.entries(sessionStorage).find(([key]) => key.startsWith('cutroom.token.'))![1]);
}
