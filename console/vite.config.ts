import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/** The saga console: static files served at /console on the API's host (locally by the gateway). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: resolve(import.meta.dirname, 'dist'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 200 },
  logLevel: 'warn',
});
