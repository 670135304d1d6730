/**
 * `ferry login --browser` against a real control plane, with no terminal: the CLI prints the
 * dashboard's link and the user code (and never prompts nor opens anything), a signed-in
 * user approves the code, and the CLI's profile gets a token (mode 0600) that works for
 * `whoami`; a denied code fails with the auth exit code and saves nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createFerryClient, type FerryClient } from '@ferry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.ts';
import {
  ADMIN_EMAIL as EMAIL,
  startControlPlane,
  startFerry,
  type TestControlPlane,
} from './testing/cli-test-kit.ts';

describe('ferry login --browser (device code) without a terminal', { timeout: 180_000 }, () => {
  let server: TestControlPlane;
  let dir: string;
  let env: Record<string, string>;
  let dashboard: FerryClient;

  beforeAll(async () => {
    server = await startControlPlane('device');
    dir = server.dir;
    dashboard = await server.session();
    env = { FERRY_CONFIG_DIR: join(dir, 'config') };
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** Starts ferry with no terminal; opening a browser or prompting would fail the test. */
  const ferry = (argv: string[]) => startFerry(argv, { env });

  /** The user code once the CLI printed it. */
  async function codeFrom(io: { err: () => string }): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const m = /^ {4}([A-Z]{4}-[A-Z]{4})$/m.exec(io.err());
      if (m !== null) return m[1]!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no user code printed: ${io.err()}`);
  }

  const profiles = () =>
    (
      JSON.parse(readFileSync(join(dir, 'config', 'config.json'), 'utf8')) as {
        profiles: Record<string, Record<string, string>>;
      }
    ).profiles;

  it('prints the link and code, waits for the approval, saves a token that works', async () => {
    const run = ferry(['login', '--browser', '--url', server.url, '--profile', 'dev', '--json']);
    const code = await codeFrom(run.io);
    expect(run.io.err()).toContain(`open ${server.url}/device in a browser and enter the code`);
    expect(run.io.err()).toContain(`${server.url}/device#code=${code}`);
    const shown = await dashboard.call('auth.deviceRequest', { body: { userCode: code } });
    expect(shown.clientName).toMatch(/^ferry CLI on /);
    await dashboard.call('auth.deviceDecide', { body: { userCode: code, approve: true } });
    expect(await run.done).toBe(0);
    const printed = JSON.parse(run.io.out()) as { email: string; tokenId: string };
    expect(printed).toMatchObject({ profile: 'dev', url: server.url, email: EMAIL });
    const saved = profiles().dev!;
    expect(saved.token).toMatch(/^ferry_pat_/);
    expect(saved.tokenId).toBe(printed.tokenId);
    expect(run.io.out() + run.io.err()).not.toContain(saved.token);
    expect(statSync(join(dir, 'config', 'config.json')).mode & 0o777).toBe(0o600);

    const whoami = ferry(['whoami', '--profile', 'dev', '--json']);
    expect(await whoami.done).toBe(0);
    expect(JSON.parse(whoami.io.out())).toMatchObject({
      kind: 'user',
      email: EMAIL,
      via: 'personal-token',
    });

    // Logout revokes the token the device got.
    const logout = ferry(['logout', '--profile', 'dev', '--json']);
    expect(await logout.done).toBe(0);
    expect(JSON.parse(logout.io.out())).toMatchObject({ revoked: true });
    const me = await createFerryClient({ baseUrl: server.url, token: saved.token })
      .call('auth.me')
      .catch((e: { status?: number }) => e.status);
    expect(me).toBe(401);
  });

  it('a denied code ends with the auth exit code and saves nothing', async () => {
    const run = ferry(['login', '--device', '--url', server.url, '--profile', 'denied']);
    const code = await codeFrom(run.io);
    await dashboard.call('auth.deviceDecide', { body: { userCode: code, approve: false } });
    expect(await run.done).toBe(EXIT.auth);
    expect(run.io.err()).toContain('ferry: the sign-in was denied in the browser');
    expect(profiles().denied).toBeUndefined();
  });

  it('names the flag that does not go with --browser', async () => {
    const run = ferry(['login', '--browser', '--url', server.url, '--token', 'ferry_pat_x']);
    expect(await run.done).toBe(EXIT.usage);
    expect(run.io.err()).toBe('ferry: --browser signs in through the dashboard: drop --token\n');
  });
});
