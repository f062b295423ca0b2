import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { vegaDataPlugin } from './vega-data-plugin.ts';

/**
 * The browser demo (`npm run demo`, `npm run build:demo` -> dist/demo). Its own config, rooted in
 * demo/, so the repository's vite.config.ts stays the Vitest config and demo/dashboard/ keeps its own
 * build.
 */

// Cross-origin isolation, so SharedArrayBuffer exists in the page and its workers. Without these
// headers the demo still runs and says so (the gauges then come from polling the job worker).
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs, so the built demo works from any directory it is served from.
  base: './',
  plugins: [vegaDataPlugin()],
  server: { headers: isolationHeaders, fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../dist/demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: fileURLToPath(new URL('index.html', import.meta.url)) },
  },
});
