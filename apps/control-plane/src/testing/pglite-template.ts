/**
 * Fast PGlite instances for tests. Starting PGlite compiles a large WebAssembly module and
 * runs initdb; migrating takes more. Each test worker does that once: it compiles the
 * modules, builds a migrated template, and dumps its data directory; every suite then gets
 * a fresh instance loaded from the dump.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { migrate } from '../db/migrate.ts';
import { createPgliteDialect } from '../db/pglite-dialect.ts';
import { PGLITE_PARSERS } from '../db/open-database.ts';
import type { Database } from '../db/database.ts';
import { Kysely } from 'kysely';
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

function loadDump(kind: 'empty' | 'migrated'): Promise<Blob> {
  let dump = dumps.get(kind);
  if (!dump) {
    dump = (async () => {
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
    })();
    dumps.set(kind, dump);
  }
  return dump;
}

/** A fresh in-memory PGlite, already migrated unless `migrated` is false. */
export async function createTestPglite(migrated = true): Promise<PGlite> {
  const [a, dump] = await Promise.all([loadArtifacts(), loadDump(migrated ? 'migrated' : 'empty')]);
  return PGlite.create({ ...a, loadDataDir: dump, parsers: PGLITE_PARSERS });
}
