/**
 * Builds the dashboard into static assets, once per change of its sources: the build
 * records a hash of everything it was built from, and a later call with the same sources
 * returns at once. Nothing built is committed, so a fresh clone builds on first use (the
 * server, the demo and the browser tests call this). A build goes to a temporary folder
 * and is moved into place, so concurrent callers never see a half-written directory.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ReactPlugin from '@vitejs/plugin-react';
import type * as Vite from 'vite';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
/** Where the built assets are. */
export const DASHBOARD_ASSETS_DIR = join(APP_DIR, 'dist');
const WEB_DIR = join(APP_DIR, 'web');
const STAMP = '.source-hash';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** A hash of the dashboard's sources, its package manifest and this build recipe. */
export async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    ...(await filesUnder(WEB_DIR)),
    join(APP_DIR, 'package.json'),
    fileURLToPath(import.meta.url),
  ];
  for (const file of files) {
    hash.update(relative(APP_DIR, file)).update('\0');
    hash.update(await readFile(file)).update('\0');
  }
  return hash.digest('hex');
}

async function builtHash(): Promise<string | undefined> {
  try {
    return (await readFile(join(DASHBOARD_ASSETS_DIR, STAMP), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** True when the assets on disk were built from the current sources. */
export async function isDashboardCurrent(): Promise<boolean> {
  return (await builtHash()) === (await sourceHash());
}

/** Builds the dashboard when its sources changed since the last build; returns the assets dir. */
export async function ensureDashboardBuilt(
  options: { log?: (line: string) => void } = {},
): Promise<string> {
  const wanted = await sourceHash();
  if ((await builtHash()) === wanted) return DASHBOARD_ASSETS_DIR;
  options.log?.('building the dashboard (once per change of its sources)…');
  const outDir = `${DASHBOARD_ASSETS_DIR}.${process.pid}.${Date.now()}`;
  // Loaded on use: only a build needs the bundler. (The names are held in variables because
  // the lint's import resolver cannot resolve these ESM-only packages; the types still can.)
  const bundler: string = 'vite';
  const reactPlugin: string = '@vitejs/plugin-react';
  const { build } = (await import(bundler)) as typeof Vite;
  const { default: react } = (await import(reactPlugin)) as typeof ReactPlugin;
  try {
    await build({
      configFile: false,
      root: WEB_DIR,
      base: '/',
      logLevel: 'warn',
      plugins: [react()],
      build: {
        outDir,
        emptyOutDir: true,
        // Fonts and images are files, never inlined from elsewhere; no source maps shipped.
        sourcemap: false,
        chunkSizeWarningLimit: 1024,
      },
    });
    await writeFile(join(outDir, STAMP), `${wanted}\n`);
    const old = `${DASHBOARD_ASSETS_DIR}.old.${process.pid}`;
    await rename(DASHBOARD_ASSETS_DIR, old).catch(() => {});
    await rename(outDir, DASHBOARD_ASSETS_DIR).catch(async (err: unknown) => {
      // Another process moved its build in first: the same sources give the same assets.
      if ((await stat(DASHBOARD_ASSETS_DIR).catch(() => undefined)) === undefined) throw err;
    });
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return DASHBOARD_ASSETS_DIR;
}
