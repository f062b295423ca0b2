import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { dashboardViteConfig, defaultDashboardOutDir } from './vite.config.ts';

/**
 * Builds the dashboard with Vite's JS API into `outDir` (default dist/dashboard, which the REST
 * server serves at `/`). `npm run build:dashboard` runs this file; tests call it for a directory of
 * their own.
 *
 * ```ts
 * const dir = await buildDashboard(mkdtempSync(join(tmpdir(), 'dash-')));
 * const server = await startRestServer({ port: 0, dashboard: dir });
 * ```
 */
export async function buildDashboard(outDir: string = defaultDashboardOutDir): Promise<string> {
  await build(dashboardViteConfig(outDir));
  return outDir;
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const outDir = await buildDashboard(process.argv[2] ?? defaultDashboardOutDir);
  console.log(`Dashboard built in ${outDir}; startRestServer() and freshet run --rest-port serve it at /`);
}
