import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.ts';
import { openDatabase } from './open-database.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-lock-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the embedded database directory lock', () => {
  it('a second open of one directory is refused, naming the process; after close it opens again', async () => {
    const dir = join(root, 'pglite');
    const first = await openDatabase({ kind: 'pglite', dir });
    try {
      const refused = openDatabase({ kind: 'pglite', dir });
      await expect(refused).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(refused).rejects.toThrow(
        new RegExp(`^The embedded database ${dir} is in use by process ${process.pid} \\(`),
      );
    } finally {
      await first.destroy();
    }
    const again = await openDatabase({ kind: 'pglite', dir });
    await again.destroy();
  }, 60_000);

  it('is held against another running process, and taken over once that process is gone', async () => {
    const dir = join(root, 'db');
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = other.pid ?? 0;
    const lockFile = `${dir}.lock`;
    await writeFile(
      lockFile,
      JSON.stringify({ pid, host: hostname(), command: 'ferry server', since: 'then' }),
    );
    try {
      await expect(lockDataDir(dir)).rejects.toThrow(
        `is in use by process ${pid} (ferry server, since then)`,
      );
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    // Its process is gone: the lock is stale, and ours now.
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    await expect(readFile(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('two processes racing for one free directory: exactly one gets it', async () => {
    const dir = join(root, 'race');
    const results = await Promise.allSettled([lockDataDir(dir), lockDataDir(dir)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(DataDirInUseError);
    for (const r of results) if (r.status === 'fulfilled') await r.value.release();
  });
});
