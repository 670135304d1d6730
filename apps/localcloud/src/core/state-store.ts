/**
 * All of localcloud's state: one JSON-serialisable object per (service, account, region).
 * With a state directory it is written to `state.json` (debounced, atomically through a
 * temporary file and rename) after changes and read back at start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface StateStore {
  get<T extends object>(service: string, accountId: string, region: string, init: () => T): T;
  /** Every stored object of a service, with its account and region. */
  entries(service: string): { accountId: string; region: string; state: object }[];
  /** Asks for a write (debounced); no-op without a state directory. */
  markDirty(): void;
  /** Writes now if anything changed. */
  flush(): void;
}

const FILE = 'state.json';

/** Creates the store; loads `stateDir/state.json` when present. */
export function createStateStore(stateDir?: string, debounceMs = 200): StateStore {
  let data: Record<string, object> = {};
  if (stateDir) {
    mkdirSync(stateDir, { recursive: true });
    const file = join(stateDir, FILE);
    if (existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
        version: number;
        state: Record<string, object>;
      };
      data = parsed.state ?? {};
    }
  }
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;

  const write = () => {
    timer = undefined;
    if (!stateDir || !dirty) return;
    dirty = false;
    const file = join(stateDir, FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, state: data }));
    renameSync(tmp, file);
  };

  const key = (service: string, accountId: string, region: string) =>
    `${service}/${accountId}/${region}`;

  return {
    get(service, accountId, region, init) {
      const k = key(service, accountId, region);
      let value = data[k];
      if (!value) {
        value = init();
        data[k] = value;
        this.markDirty();
      }
      return value as ReturnType<typeof init>;
    },
    entries(service) {
      const out: { accountId: string; region: string; state: object }[] = [];
      for (const [k, state] of Object.entries(data)) {
        const [s, accountId, region] = k.split('/');
        if (s === service && accountId && region) out.push({ accountId, region, state });
      }
      return out;
    },
    markDirty() {
      if (!stateDir) return;
      dirty = true;
      timer ??= setTimeout(write, debounceMs);
      timer.unref();
    },
    flush() {
      if (timer) clearTimeout(timer);
      write();
    },
  };
}
