import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The console's pages as the control plane serves them (built by `make build`): revalidated
 * pages, immutable hashed assets, security headers and a content security policy without
 * inline scripts; and nothing at all with CONSOLE=false.
 */
describe('the console pages', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres');
  });
  afterAll(() => server?.destroy());

  it('serves the three pages with no-cache and the security headers', async () => {
    for (const [route, title] of [
      ['/', 'Cutroom editor'],
      ['/console/ops', 'Cutroom operations'],
      ['/api/docs', 'Cutroom API reference'],
    ] as const) {
      const res = await fetch(`${server.url}${route}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain(`<title>${title}</title>`);
      // Scripts come from files only: no inline script in the page, and the policy forbids them.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('permissions-policy')).toContain('microphone=(self)');
    }
  });

  it('serves hashed assets for a year, and answers a missing one with the JSON 404', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/assets\/editor-[\w-]+\.js$/);
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${server.url}/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.type).toBe('not_found');
  });

  it('bundles everything it loads: no page or asset names another host', async () => {
    const dist = path.resolve('console/dist');
    const files = [...(await fs.readdir(dist)).filter((f) => f.endsWith('.html')), ...(await fs.readdir(path.join(dist, 'assets'))).map((f) => `assets/${f}`)];
    for (const file of files.filter((f) => /\.(html|css)$/.test(f))) {
      const text = await fs.readFile(path.join(dist, file), 'utf8');
      expect(text.match(/(?:src|href)=["']?https?:\/\/[^"' >]+/g) ?? [], file).toEqual([]);
      expect(text.match(/url\(["']?https?:/g) ?? [], file).toEqual([]);
      expect(text.match(/@import\s+(url\()?["']?https?:/g) ?? [], file).toEqual([]);
    }
  });

  it('serves none of it with CONSOLE=false', async () => {
    const off = await server.replica({ CONSOLE: 'false' });
    try {
      for (const route of ['/', '/console/ops', '/api/docs']) {
        const res = await fetch(`${off.url}${route}`);
        expect(res.status).toBe(404);
        expect((await res.json()).error.type).toBe('not_found');
      }
      expect((await fetch(`${off.url}/api/version`)).status).toBe(200);
    } finally {
      await off.stop();
    }
  });
});
