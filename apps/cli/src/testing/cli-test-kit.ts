/**
 * What the CLI's tests share: running ferry as a script does (no terminal, so prompting or
 * opening a browser fails the test) and a real control plane in process (embedded PGlite,
 * no jobs) whose instance admin is set up, with that admin's dashboard session.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFerryClient, type FerryClient } from '@ferry/api';
import type { RunningServer } from '@ferry/control-plane';
import { createBufferIo } from '../cli-io.ts';
import { runCli } from '../run-cli.ts';

/** How a run of ferry ended. */
export interface FerryRun {
  code: number;
  out: string;
  err: string;
}

/** A run of ferry still going: its output so far, and its exit code once done. */
export interface StartedFerry {
  io: ReturnType<typeof createBufferIo>;
  done: Promise<number>;
}

/** Options of {@link startFerry} and {@link runFerry}. */
export interface FerryOptions {
  /** The whole environment ferry sees (nothing of the test process's). */
  env?: Record<string, string | undefined>;
  /** What stdin holds (`--password-stdin`, `--token-stdin`). */
  stdin?: string;
}

/** A config directory nobody creates: no saved profile leaks into a run. */
const NO_PROFILES = join(tmpdir(), 'ferry-cli-test-no-profiles');

/** Starts `ferry <argv…>` with no terminal. */
export function startFerry(argv: readonly string[], options: FerryOptions = {}): StartedFerry {
  const io = {
    ...createBufferIo(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    ask: () => Promise.reject(new Error('ferry prompted without a terminal')),
    openUrl: () => Promise.reject(new Error('ferry opened a browser without asking')),
  };
  const done = runCli(argv, io, { FERRY_CONFIG_DIR: NO_PROFILES, ...options.env });
  return { io, done };
}

/** Runs `ferry <argv…>` with no terminal to its end. */
export async function runFerry(
  argv: readonly string[],
  options: FerryOptions = {},
): Promise<FerryRun> {
  const { io, done } = startFerry(argv, options);
  const code = await done;
  return { code, out: io.out(), err: io.err() };
}

/** A control plane for the CLI to talk to, with its instance admin. */
export interface TestControlPlane {
  readonly url: string;
  /** A scratch directory of the test's (removed by `stop`). */
  readonly dir: string;
  readonly email: string;
  readonly password: string;
  /** The admin's dashboard session (cookie and CSRF token), as a browser holds it. */
  session(): Promise<FerryClient>;
  stop(): Promise<void>;
}

/** The instance admin of {@link startControlPlane}. */
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'a long enough password';

/** Starts a control plane in process (PGlite in a scratch directory) and sets its admin up. */
export async function startControlPlane(name: string): Promise<TestControlPlane> {
  const { start } = await import('@ferry/control-plane');
  const dir = await mkdtemp(join(tmpdir(), `ferry-cli-${name}-`));
  let server: RunningServer | undefined;
  try {
    let setupToken = '';
    server = await start({
      env: { FERRY_LOG_LEVEL: 'silent', FERRY_LISTEN_PORT: '0', FERRY_JOBS_ENABLED: 'false' },
      flags: { dataDir: join(dir, 'data'), listenHost: '127.0.0.1' },
      bootstrapAdminEmail: ADMIN_EMAIL,
      print: (line) => (setupToken = /#token=(\S+)/.exec(line)?.[1] ?? setupToken),
    });
    await createFerryClient({ baseUrl: server.url }).call('auth.setup', {
      body: { token: setupToken, name: 'Admin', password: ADMIN_PASSWORD },
    });
  } catch (error) {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const running = server;
  return {
    url: running.url,
    dir,
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    async session() {
      let cookie = '';
      const login = await createFerryClient({
        baseUrl: running.url,
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie;
          return res;
        },
      }).call('auth.login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
      return createFerryClient({
        baseUrl: running.url,
        headers: { cookie, 'x-csrf-token': login.csrfToken },
      });
    },
    async stop() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
