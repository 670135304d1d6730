/**
 * Fast PGlite instances for tests. Starting PGlite compiles a large WebAssembly module and
 * runs initdb; migrating takes more. The migrated data directory is built once per test run
 * (by whichever test file needs it first, under a lock file in the directory the global
 * setup provides) and every suite loads a fresh instance from that dump; each test file
 * compiles the WebAssembly modules once.
 */
import { open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { migrate } from '../db/migrate.ts';
import { createPgliteDialect } from '../db/pglite-dialect.ts';
import { PGLITE_PARSERS } from '../db/open-database.ts';
import type { Database } from '../db/database.ts';
import { Kysely } from 'kysely';
import { inject } from 'vitest';
import { migrations } from '../migrations/index.ts';

type Artifacts = Pick<PGliteOptions, 'pgliteWasmModule' | 'initdbWasmModule' | 'fsBundle'>;

let artifacts: Promise<Artifacts> | undefined;
const dumps = new Map<'empty' | 'migrated', Promise<Blob>>();

function loadArtifacts(): Promise<Artifacts> {
  artifacts ??= (async () => {
    const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    const [pglite, initdb, data] = await Promise.all([
      readFile(join(dist, 'pglite.wasm')),
      readFile(join(dist, 'initdb.wasm')),
      readFile(join(dist, 'pglite.data')),
    ]);
    // The WebAssembly global is untyped without the DOM library.
    const wasm = (
      globalThis as unknown as {
        WebAssembly: { compile(b: Uint8Array): Promise<Artifacts['pgliteWasmModule']> };
      }
    ).WebAssembly;
    return {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- WebAssembly.Module is untyped here
      pgliteWasmModule: await wasm.compile(pglite),
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- as above
      initdbWasmModule: await wasm.compile(initdb),
      fsBundle: new Blob([data]),
    };
  })();
  return artifacts;
}

async function buildDump(kind: 'empty' | 'migrated'): Promise<Blob> {
  const template = await PGlite.create({ ...(await loadArtifacts()), parsers: PGLITE_PARSERS });
  if (kind === 'migrated') {
    const db = new Kysely<Database>({
      dialect: createPgliteDialect({ pglite: template, closeOnDestroy: false }),
    });
    await migrate(db, migrations);
    await db.destroy();
  }
  const blob = await template.dumpDataDir('none');
  await template.close();
  return blob;
}

/** The dump shared by every test file of the run: built by the first, awaited by the rest. */
async function sharedDump(dir: string, kind: 'empty' | 'migrated'): Promise<Blob> {
  const file = join(dir, `pglite-${kind}.tar`);
  const lock = join(dir, `pglite-${kind}.lock`);
  const read = async () => new Blob([await readFile(file)]);
  try {
    return await read();
  } catch {
    // not built yet
  }
  let mine = false;
  try {
    await (await open(lock, 'wx')).close();
    mine = true;
  } catch {
    // another test file is building it
  }
  if (mine) {
    const blob = await buildDump(kind);
    await writeFile(`${file}.tmp`, Buffer.from(await blob.arrayBuffer()));
    await rename(`${file}.tmp`, file);
    return blob;
  }
  const deadline = Date.now() + 170_000;
  for (;;) {
    try {
      await stat(file);
      return await read();
    } catch {
      if (Date.now() > deadline) return buildDump(kind);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function loadDump(kind: 'empty' | 'migrated'): Promise<Blob> {
  let dump = dumps.get(kind);
  if (!dump) {
    const dir = inject('ferryTestDir');
    dump = dir ? sharedDump(dir, kind) : buildDump(kind);
    dumps.set(kind, dump);
  }
  return dump;
}

/** A fresh in-memory PGlite, already migrated unless `migrated` is false. */
export async function createTestPglite(migrated = true): Promise<PGlite> {
  const [a, dump] = await Promise.all([loadArtifacts(), loadDump(migrated ? 'migrated' : 'empty')]);
  return PGlite.create({ ...a, loadDataDir: dump, parsers: PGLITE_PARSERS });
}
