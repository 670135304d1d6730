/**
 * `ferry compute` against a real control plane in process (embedded PGlite): manifests,
 * list, status, usage, and how API errors reach the terminal — everything that needs no
 * AWS account (starting compute does: see test/e2e/cli-compute.test.ts).
 */
import { join } from 'node:path';
import { createFerryClient } from '@ferry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerry, startControlPlane, type TestControlPlane } from '../testing/cli-test-kit.ts';

const UNKNOWN_CLUSTER = 'cl_0123456789abcdefghjkmnpqrs';

describe('ferry compute against a control plane', { timeout: 120_000 }, () => {
  let server: TestControlPlane;
  let workspaceId: string;
  let token: string;
  let readOnlyToken: string;
  let robotToken: string;

  beforeAll(async () => {
    server = await startControlPlane('compute');
    const anon = createFerryClient({ baseUrl: server.url });
    const session = await server.session();
    const pat = async (
      scopes: Parameters<typeof session.call<'tokens.create'>>[1]['body']['scopes'],
    ) =>
      (await session.call('tokens.create', { body: { name: 'cli', scopes, expiresInDays: 1 } }))
        .secret;
    token = await pat([
      'orgs:create',
      'org:read',
      'workspace:create',
      'workspace:read',
      'compute:read',
      'compute:start',
      'service-accounts:manage',
    ]);
    readOnlyToken = await pat(['workspace:read', 'compute:read']);
    const admin = createFerryClient({ baseUrl: server.url, token });
    const org = await admin.call('orgs.create', { body: { name: 'CLI' } });
    workspaceId = (
      await admin.call('workspaces.create', {
        params: { orgId: org.id },
        body: { name: 'analytics' },
      })
    ).id;
    const sa = await admin.call('serviceAccounts.create', {
      params: { workspaceId },
      body: { name: 'etl' },
    });
    robotToken = (
      await anon.call('auth.token', {
        body: {
          grant_type: 'client_credentials',
          client_id: sa.clientId,
          client_secret: sa.clientSecret,
        },
      })
    ).access_token;
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function ferry(argv: string[], as: string = token) {
    const { code, out, err } = await runFerry(
      ['compute', ...argv, '--url', server.url, '--token', as, '--workspace', workspaceId],
      { env: { FERRY_CONFIG_DIR: join(server.dir, 'no-profiles') } },
    );
    // Whatever happens, the token never reaches the terminal.
    for (const t of [token, readOnlyToken, robotToken]) expect(out + err).not.toContain(t);
    return { code, out, err };
  }

  it('lists no clusters in a fresh workspace, as text and as JSON', async () => {
    expect(await ferry(['list'])).toEqual({ code: 0, out: 'no clusters\n', err: '' });
    const json = await ferry(['list', '--json']);
    expect(JSON.parse(json.out)).toEqual([]);
  });

  it('registers, shows, lists and deletes a manifest', async () => {
    const put = await ferry([
      'manifest',
      'put',
      'nightly',
      '--cpus',
      '4',
      '--memory',
      '16',
      '--label',
      'team=data',
      '--idle-timeout',
      '30',
    ]);
    expect(put.err).toBe('');
    expect(put.code).toBe(0);
    expect(put.out).toContain('manifest nightly');
    expect(put.out).toMatch(/spec:\s+cpus=4 memory=16 idleTimeoutMins=30 labels=team:data/);
    expect(put.out).toMatch(/live cluster:\s+-/);

    const list = await ferry(['manifest', 'list']);
    expect(list.out).toMatch(/^NAME\s+LIVE CLUSTER\s+SPEC\s+UPDATED\nnightly\s+-\s+cpus=4/);
    const got = JSON.parse((await ferry(['manifest', 'get', 'nightly', '--json'])).out) as {
      name: string;
      spec: unknown;
      liveClusterId: unknown;
    };
    expect(got).toMatchObject({
      name: 'nightly',
      spec: { cpus: 4, memory: 16, idleTimeoutMins: 30, labels: { team: 'data' } },
      liveClusterId: null,
    });

    expect(await ferry(['manifest', 'delete', 'nightly'])).toMatchObject({
      code: 0,
      out: 'manifest nightly deleted\n',
    });
    const gone = await ferry(['manifest', 'get', 'nightly']);
    expect(gone.code).toBe(4);
    expect(gone.err).toMatch(/^ferry: .*nightly.*\n$/);
  });

  it('names a bad field by its flag, once each, and exits 2', async () => {
    const r = await ferry(['manifest', 'put', 'big', '--cpus', '0', '--storage', '2']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ferry: --cpus: /);
    expect(lines[1]).toMatch(/^ferry: --storage: /);
    expect(r.err).not.toContain('body.');
  });

  it('refuses to start compute in a workspace that is not connected to AWS', async () => {
    const r = await ferry(['start', '--cpus', '2', '--memory', '4', '--wait']);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/^ferry: .*connect/i);
    expect((await ferry(['list'])).out).toBe('no clusters\n');
  });

  it('answers 404 for an unknown cluster and 400 naming a malformed id', async () => {
    const missing = await ferry(['status', UNKNOWN_CLUSTER]);
    expect(missing.code).toBe(4);
    expect(missing.err).toMatch(/^ferry: .*not found/i);
    const bad = await ferry(['logs', 'not-a-cluster']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      'ferry: <clusterId>: must be a cluster id (cl_ followed by 26 lower-case characters)\n',
    );
    expect((await ferry(['stop', UNKNOWN_CLUSTER])).code).toBe(4);
  });

  it('reports usage, zero for a workspace that never ran anything', async () => {
    const r = await ferry(['usage']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^usage of ${workspaceId} from \\S+ to \\S+\\n`));
    expect(r.out).toMatch(/vCPU-hours:\s+0\.000/);
    expect(r.out).toMatch(/cost:\s+\$0\.0000/);
  });

  it('works with a service account token; a token without compute:start is forbidden to start', async () => {
    expect(await ferry(['list'], robotToken)).toMatchObject({ code: 0, out: 'no clusters\n' });
    const forbidden = await ferry(['manifest', 'put', 'x', '--cpus', '2'], readOnlyToken);
    expect(forbidden.code).toBe(3);
    expect(forbidden.err).toMatch(/^ferry: not allowed: /);
    expect(await ferry(['manifest', 'list'], readOnlyToken)).toMatchObject({ code: 0 });
    const nobody = await ferry(['list'], 'ferry_pat_not_a_real_token');
    expect(nobody.code).toBe(3);
    expect(nobody.err).toBe(
      'ferry: the control plane refused the token from --token (unknown, expired or revoked): run `ferry login` to get a new one\n',
    );
    expect(nobody.err).not.toContain('ferry_pat_not_a_real_token');
  });
});
