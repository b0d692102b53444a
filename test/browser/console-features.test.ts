import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { accessibilityViolations, collectConsoleErrors } from '../support/console-checks.js';
import { makeTestVideo } from '../../render-node/src/test-support/lavfi-media.js';
import { makeZip } from '../../render-node/src/test-support/zip-files.js';

/** A page on a loaded machine may take seconds to react: polls wait up to 15 s unless told otherwise. */
const poll: typeof expect.poll = (fn, options) => expect.poll(fn, { timeout: 15_000, ...(typeof options === 'number' ? { timeout: options } : options) });

/**
 * The editor's optional features on a server that has their routes: music from the shared audio
 * library put under the timeline, and an EDL project imported from a zip and opened.
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

  beforeAll(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-console-features-'));
    const files = path.join(base, 'files');
    await fs.mkdir(files);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', path.join(files, 'funk.mp3')]);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=2', path.join(files, 'piano.mp3')]);
    const list = path.join(base, 'audioLib.json');
    await fs.writeFile(list, JSON.stringify({
      entries: [
        { name: 'Funk.mp3', relativePath: 'funk.mp3', category: 'Electro', type: 'music' },
        { name: 'Piano.mp3', relativePath: 'piano.mp3', category: 'Calm', type: 'music' },
      ],
    }));
    const beta = await makeTestVideo(base, 'beta', { durationS: 4, fps: '25' });
    await fs.writeFile(path.join(base, 'two cuts.zip'), await makeZip([
      { name: 'two cuts/cut.edl', data: TWO_CUTS },
      { name: 'two cuts/beta.mp4', data: await fs.readFile(beta), compress: false },
    ]));
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100', WORKERS: '2', AUDIOLIB_JSON_LIST: list, AUDIOLIB_FILES_DIR: files });
    const admin = server.api('test-admin-token');
    await admin.post('/api/import/audiolib_json', {});
    for (let i = 0; i < 300 && (await admin.get('/api/import/audiolib_json')).body.state === 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    browser = await launchChromium();
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

  it('imports an EDL project from a zip and opens it on the timeline', async () => {
    await page.getByLabel('Project zip (EDL, OTIO or FCP XML with its media)').setInputFiles(path.join(base, 'two cuts.zip'));
    await poll(() => page.getByTestId('project-import').getAttribute('data-stage'), { timeout: 90_000, interval: 500 }).toBe('ready');
    expect(await page.getByTestId('project-import').getAttribute('data-failed')).toBe('false');
    await page.getByLabel('Find a project').fill('two');
    await page.getByRole('button', { name: 'Open project two cuts' }).click();
    await poll(() => page.getByTestId('current-project').textContent()).toBe('Project: two cuts');
    await poll(() => page.getByTestId('main-clip').count()).toBe(2);
    const xtl = await page.getByTestId('xtl').textContent();
    expect(xtl).toMatch(/<clip src="[\w-]+" start="0" stop="10000000" timeFormat="100ns_units"\/>\s*<clip src="[\w-]+" start="20000000" stop="30000000" timeFormat="100ns_units"\/>/);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});

async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() => Object.entries(sessionStorage).find(([key]) => key.startsWith('cutroom.token.'))![1]);
}
