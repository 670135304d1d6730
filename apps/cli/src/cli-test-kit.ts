/**
 * What the CLI's tests share: running ferry in process without the shell's FERRY_*
 * settings, and a control plane in process (embedded PGlite, no jobs) with its
 * administrator set up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFerryClient, type FerryClient } from '@ferry/api';
import type { RunningServer } from '@ferry/control-plane';
import { createBufferIo } from './cli-io.ts';
import { runCli } from './run-cli.ts';

/** Runs ferry with FERRY_URL, FERRY_TOKEN and FERRY_WORKSPACE taken only from `env`. */
export async function runWithEnv(argv: string[], env: Record<string, string | undefined> = {}) {
  const saved = { ...process.env };
  for (const k of ['FERRY_URL', 'FERRY_TOKEN', 'FERRY_WORKSPACE']) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const io = createBufferIo();
    const code = await runCli(argv, io);
    return { code, out: io.out(), err: io.err() };
  } finally {
    process.env = saved;
  }
}

/** Settings that point ferry at a control plane nobody listens on. */
export const UNREACHABLE_ENV = {
  FERRY_URL: 'http://127.0.0.1:9',
  FERRY_TOKEN: 'ferry_pat_do_not_print_me',
  FERRY_WORKSPACE: 'ws_00000000000000000000000000',
};

export interface TestControlPlane {
  server: RunningServer;
  /** The test's own directory: the server's data in `data/`, the CLI's profiles where the test says. */
  dir: string;
  email: string;
  password: string;
  /** A dashboard session of the administrator (its cookie and CSRF token), as a browser holds it. */
  signIn(): Promise<FerryClient>;
  stop(): Promise<void>;
}

/** Starts a control plane in process on loopback and sets up its administrator. */
export async function startTestControlPlane(name: string): Promise<TestControlPlane> {
  const { start } = await import('@ferry/control-plane');
  const email = 'admin@example.com';
  const password = 'a long enough password';
  const dir = await mkdtemp(join(tmpdir(), `ferry-cli-${name}-`));
  let setupToken = '';
  const server = await start({
    env: { FERRY_LOG_LEVEL: 'silent', FERRY_LISTEN_PORT: '0', FERRY_JOBS_ENABLED: 'false' },
    flags: { dataDir: join(dir, 'data'), listenHost: '127.0.0.1' },
    bootstrapAdminEmail: email,
    print: (line) => (setupToken = /#token=(\S+)/.exec(line)?.[1] ?? setupToken),
  });
  await createFerryClient({ baseUrl: server.url }).call('auth.setup', {
    body: { token: setupToken, name: 'Admin', password },
  });
  return {
    server,
    dir,
    email,
    password,
    async signIn() {
      let cookie = '';
      const login = await createFerryClient({
        baseUrl: server.url,
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie;
          return res;
        },
      }).call('auth.login', { body: { email, password } });
      return createFerryClient({
        baseUrl: server.url,
        headers: { cookie, 'x-csrf-token': login.csrfToken },
      });
    },
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
