import { fileURLToPath } from 'node:url';
import type { InlineConfig } from 'vite';

/**
 * The dashboard's own Vite config (the repository's vite.config.ts is the demo's and the tests'):
 * root demo/dashboard, relative asset URLs so the page works wherever the REST server mounts it, and
 * output in dist/dashboard, where `startRestServer` looks for it.
 *
 * `npx vite --config demo/dashboard/vite.config.ts` serves it in development, proxying the REST
 * routes to a server on FRESHET_REST_URL (default http://127.0.0.1:8081).
 */
export const dashboardRoot = fileURLToPath(new URL('./', import.meta.url));
export const defaultDashboardOutDir = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

export function dashboardViteConfig(outDir: string = defaultDashboardOutDir): InlineConfig {
  const rest = process.env.FRESHET_REST_URL ?? 'http://127.0.0.1:8081';
  return {
    configFile: false,
    root: dashboardRoot,
    base: './',
    publicDir: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: true, target: 'es2022' },
    server: { proxy: { '/overview': rest, '/jobs': rest } },
  };
}

export default dashboardViteConfig();
