import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.js';
import { MediaServer } from '../support/media-server.js';
import { smallMp4 } from '../support/media.js';
import { processAlive } from '../support/processes.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { accessibilityViolations, collectConsoleErrors, saveScreenshot } from '../support/console-checks.js';
import type { LocalDispatcher } from '../../control-plane/src/work/local-dispatcher.js';

/** A page on a loaded machine may take seconds to react: polls wait up to 15 s unless told otherwise. */
const poll: typeof expect.poll = (fn, options) => expect.poll(fn, { timeout: 15_000, ...(typeof options === 'number' ? { timeout: options } : options) });

/**
 * The operations view at /console/ops and the API docs at /api/docs, in Chromium: the view asks
 * for the ADMIN_TOKEN, shows a queued task move through its states, and an abort clicked there
 * stops a running task's render node. Both pages pass axe and log no errors.
 */
describe.runIf(chromiumAvailable)('the operations view and the API docs in Chromium', () => {
  let server: TestServer;
  let media: MediaServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let ownerId: string;

  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4());
    // One worker, so a second task has to wait for the first.
    server = await startTestServer('postgres', { WORKERS: '1', DISPATCH_INTERVAL_MS: '100', ALLOW_PRIVATE_URLS: 'true' });
    ownerId = (await server.api().post('/api/users', { name: 'Owner' })).body.id;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectConsoleErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
    await media?.close();
  });

  const row = (taskId: string) => page.locator(`tr[data-task-id="${taskId}"]`);

  it('signs in with the ADMIN_TOKEN, shows a task move through its states, and aborts a running one', async () => {
    await page.goto(`${server.url}/console/ops`);
    await page.getByLabel('Admin token').fill('not-it');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('not the ADMIN_TOKEN');
    errors.length = 0; // the refused sign-in's 401 is logged by the browser, as it should be
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Admin token').fill('test-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.getByTestId('dispatcher').textContent()).toBe('Local render nodes: 0 busy of 1 (1 free)');

    const { work } = server.controlPlane.services;
    const stalled = await work.submit({ kind: 'probe', ownerId, spec: { url: `${media.url}/stall/clip.mp4` } });
    const waiting = await work.submit({ kind: 'probe', ownerId, spec: { url: `${media.url}/file/clip.mp4` } });
    await poll(() => row(stalled.id).getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await row(waiting.id).getAttribute('data-state')).toBe('pending');
    const pid = (server.controlPlane.services.dispatcher as LocalDispatcher).pidOf(stalled.id)!;
    await poll(() => row(stalled.id).textContent()).toContain(`pid ${pid}`);
    await poll(() => page.locator('td[data-kind="probe"][data-state="pending"]').textContent()).toBe('1');
    await poll(() => page.getByTestId('dispatcher').textContent()).toBe('Local render nodes: 1 busy of 1 (0 free)');
    await saveScreenshot(page, 'console-ops');
    expect(await accessibilityViolations(page)).toEqual([]);

    // Watch the waiting task from here on, while the running one is aborted from the page.
    const seen: string[] = [];
    const watching = vi.waitFor(
      async () => {
        const state = await row(waiting.id)
          .getAttribute('data-state')
          .catch(() => null);
        if (state && seen.at(-1) !== state) seen.push(state);
        expect(state).toBe('completed');
      },
      { timeout: 60_000, interval: 50 },
    );
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Abort task ${stalled.id}` }).click();
    await poll(() => row(stalled.id).getAttribute('data-state')).toBe('aborted');
    // The render node gets SIGTERM, then SIGKILL after a grace period if it lingers.
    await poll(() => processAlive(pid), { timeout: 10_000 }).toBe(false);
    expect((await work.store.get(stalled.id))!.state).toBe('aborted');
    await watching;
    expect(seen[0]).toBe('pending');
    expect(seen.at(-1)).toBe('completed');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(errors).toEqual([]);
  });

  it('renders the API reference offline, with the recipes and the extensions marked', async () => {
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${server.url}/api/docs`);
    await poll(() => page.locator('.opblock').count(), { timeout: 20_000 }).toBeGreaterThan(40);
    expect(await page.getByRole('heading', { name: 'Integration recipes' }).count()).toBe(1);
    const adminQueue = page.locator('.opblock', { hasText: '/api/admin/queue' }).first();
    await adminQueue.locator('.opblock-summary-control').click();
    await poll(() => adminQueue.textContent()).toContain('Cutroom extension');
    const editorApiRoute = page.locator('.opblock', { hasText: '/api/stat' }).first();
    await editorApiRoute.locator('.opblock-summary-control').click();
    await poll(() => editorApiRoute.locator('.opblock-body').count()).toBe(1);
    expect(await editorApiRoute.textContent()).not.toContain('Cutroom extension');
    // Everything came from this server: no CDN, no validator, no fonts from elsewhere.
    expect(requests.filter((url) => !url.startsWith(server.url) && !url.startsWith('data:'))).toEqual([]);
    await saveScreenshot(page, 'console-api-docs');
    // Swagger UI's own markup nests its copy button in the operation's toggle and leaves one
    // select unnamed; everything else on the page (colours included) passes.
    expect(await accessibilityViolations(page, { disableRules: ['nested-interactive', 'select-name'] })).toEqual([]);
    expect(errors).toEqual([]);
  });
});
