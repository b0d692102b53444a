import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * Three pages, one bundle each, all assets local (no CDN): the reference editor (`/`), the
 * operations view (`/console/ops`) and the API docs (`/api/docs`). The control plane serves
 * dist/ with `no-cache` pages and immutable, content-hashed assets under /assets/.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Inline nothing: the content security policy allows scripts and styles from files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        editor: resolve(import.meta.dirname, 'index.html'),
        ops: resolve(import.meta.dirname, 'ops.html'),
        docs: resolve(import.meta.dirname, 'docs.html'),
      },
    },
  },
});
