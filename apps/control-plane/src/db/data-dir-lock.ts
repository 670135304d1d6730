/**
 * One process per embedded database directory. The lock is a file beside the directory
 * (`<dir>.lock`), created exclusively, naming the process that holds it; a second process
 * is refused with that name. A lock left by a process that no longer runs (a crash, a
 * kill -9) is taken over.
 */
import { hostname } from 'node:os';
import { open, readFile, unlink } from 'node:fs/promises';

/** What the lock file records. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
}

/** The directory is open in another process. */
export class DataDirInUseError extends Error {
  readonly code = 'data_dir_in_use';
  constructor(dir: string, holder: Holder) {
    super(
      `The embedded database ${dir} is in use by process ${holder.pid} (${holder.command}, since ${holder.since}). ` +
        'Only one process may open it: stop that process first, or use PostgreSQL (--database-url) to run several.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** A held lock. */
export interface DataDirLock {
  release(): Promise<void>;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock of `dir`, or throws DataDirInUseError naming the process holding it. */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const file = `${dir}.lock`;
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    command: process.argv
      .slice(1)
      .map((a) => a.split('/').at(-1) ?? a)
      .join(' '),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          const h = await readHolder(file);
          if (h?.pid === me.pid && h.since === me.since) await unlink(file).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = await readHolder(file);
    if (holder === undefined) {
      // Perhaps just created and not yet written: look again before calling it stale.
      await new Promise((r) => setTimeout(r, 100));
      holder = await readHolder(file);
    }
    // A live holder on this machine keeps it (even this process: one open per directory).
    if (holder !== undefined && (holder.host !== me.host || running(holder.pid))) {
      throw new DataDirInUseError(dir, holder);
    }
    // Stale (its process is gone) or half-written: remove it and try again.
    await unlink(file).catch(() => undefined);
  }
  throw new Error(`could not lock ${dir}: its lock file ${file} keeps reappearing`);
}
