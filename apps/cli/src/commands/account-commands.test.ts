/**
 * The account commands against a real control plane in process (embedded PGlite): login
 * with a password or a token into named profiles (0600), whoami, tokens, organizations,
 * workspaces, service accounts, the audit log, logout — each as text and as JSON, with no
 * terminal (so nothing may prompt), and the token never printed where it was not asked for.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createFerryClient } from '@ferry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.ts';
import {
  ADMIN_EMAIL as EMAIL,
  ADMIN_PASSWORD as PASSWORD,
  runFerry,
  startControlPlane,
  type TestControlPlane,
} from '../testing/cli-test-kit.ts';

describe('ferry account commands against a control plane', { timeout: 180_000 }, () => {
  let server: TestControlPlane;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startControlPlane('account');
    dir = server.dir;
    env = { FERRY_CONFIG_DIR: join(dir, 'config') };
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** Runs ferry with no terminal: an attempt to prompt would fail the test. */
  const ferry = (argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}) =>
    runFerry(argv, {
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      env: { ...env, ...options.env },
    });
  const json = async <T>(argv: string[]) => {
    const r = await ferry([...argv, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as T;
  };
  const profileFile = () => join(dir, 'config', 'config.json');
  const profiles = () =>
    (
      JSON.parse(readFileSync(profileFile(), 'utf8')) as {
        profiles: Record<string, Record<string, string>>;
      }
    ).profiles;

  let orgId = '';
  let workspaceId = '';

  it('logs in with an email and a password from stdin, into a profile only its owner can read', async () => {
    const r = await ferry(['login', '--url', server.url, '--email', EMAIL, '--password-stdin'], {
      stdin: `${PASSWORD}\n`,
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `signed in to ${server.url} as ${EMAIL} (profile "default", saved in ${profileFile()})\n`,
    );
    expect(statSync(profileFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'config')).mode & 0o777).toBe(0o700);
    const saved = profiles().default!;
    expect(saved).toMatchObject({ url: server.url, email: EMAIL });
    expect(saved.token).toMatch(/^ferry_pat_/);
    expect(r.out).not.toContain(saved.token);
  });

  it('refuses a wrong password, naming the email, with the auth exit code', async () => {
    const r = await ferry(
      ['login', '--url', server.url, '--email', EMAIL, '--password-stdin', '--profile', 'bad'],
      {
        stdin: 'not the password\n',
      },
    );
    expect(r.code).toBe(EXIT.auth);
    expect(r.err).toBe(
      `ferry: the control plane did not accept the email and password of ${EMAIL}\n`,
    );
    expect(profiles().bad).toBeUndefined();
  });

  it('without a terminal, names the flag instead of asking for the password', async () => {
    const r = await ferry(['login', '--url', server.url, '--email', EMAIL, '--profile', 'p2']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toBe(
      'ferry: missing --password-stdin (stdin is not a terminal, so ferry does not ask for it)\n',
    );
  });

  it('whoami says who the profile is signed in as', async () => {
    const r = await ferry(['whoami']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${EMAIL} \\(instance admin\\)\\n`));
    expect(r.out).toContain('via:      personal-token');
    expect(r.out).toContain(`control plane: ${server.url} (profile "default")`);
    const me = await json<{ kind: string; email: string; profile: string }>(['whoami']);
    expect(me).toMatchObject({ kind: 'user', email: EMAIL, profile: 'default' });
  });

  it('creates, lists, shows and uses an organization; lists members; invites', async () => {
    const org = await json<{ id: string; name: string }>(['org', 'create', 'Acme']);
    orgId = org.id;
    expect((await ferry(['org', 'create', 'Other'])).out).toMatch(
      /^organization org_\S+ "Other" created\n/,
    );
    expect((await ferry(['org', 'use', orgId])).out).toBe(
      `profile "default" now uses organization ${orgId}\n`,
    );
    const list = await ferry(['org', 'list']);
    expect(list.out).toMatch(/^ID\s+NAME\s+ROLE\s+CREATED\n/);
    expect(list.out).toContain(`${orgId}  Acme   admin`);
    expect((await json<unknown[]>(['org', 'list'])).length).toBe(2);
    expect((await ferry(['org', 'show'])).out).toMatch(
      new RegExp(`^organization ${orgId} "Acme"\\n`),
    );
    expect(await json<{ id: string }>(['org', 'show'])).toMatchObject({
      id: orgId,
      workspaces: [],
    });
    expect((await ferry(['org', 'members'])).out).toContain(EMAIL);
    expect(await json<unknown[]>(['org', 'members'])).toHaveLength(1);
    const invite = await ferry(['org', 'invite', 'bob@example.com', '--role', 'member']);
    expect(invite.code).toBe(0);
    expect(invite.out).toMatch(/^invited bob@example\.com as member/);
    expect(invite.out).toMatch(/give them this link \(shown once\): http\S+/);
    const again = await json<{ invitation: { email: string } }>([
      'org',
      'invite',
      'carol@example.com',
    ]);
    expect(again.invitation.email).toBe('carol@example.com');
  });

  it('creates, lists, shows, renames and lists the members of a workspace', async () => {
    const r = await ferry(['workspace', 'create', 'analytics', '--use']);
    expect(r.err).toBe('');
    const id = /^workspace (ws_\S+) "analytics" created \(Uninitialized\)\n/.exec(r.out)?.[1];
    expect(id).toBeDefined();
    workspaceId = id!;
    expect(profiles().default!.workspace).toBe(workspaceId);
    expect((await ferry(['workspace', 'list'])).out).toMatch(
      new RegExp(`\\n${workspaceId}\\s+analytics\\s+Uninitialized\\s+admin`),
    );
    expect((await json<{ id: string }[]>(['workspace', 'list'])).map((w) => w.id)).toEqual([
      workspaceId,
    ]);
    expect((await ferry(['workspace', 'show'])).out).toMatch(/state:\s+Uninitialized/);
    expect((await ferry(['workspace', 'rename', 'analytics-eu'])).out).toBe(
      `workspace ${workspaceId} is now "analytics-eu"\n`,
    );
    expect(await json<{ name: string }>(['workspace', 'show'])).toMatchObject({
      name: 'analytics-eu',
    });
    expect((await ferry(['workspace', 'members'])).out).toContain(`${EMAIL}`);
    expect(await json<unknown[]>(['workspace', 'members'])).toHaveLength(1);
    // A bad name is named by the argument, once.
    const bad = await ferry(['workspace', 'rename', ' spaced ']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/^ferry: --name: /);
  });

  it("an organization's admin side: roles, workspace members, invitations, leave, rename, delete", async () => {
    // Two people accept their invitations (as the dashboard does).
    const anon = createFerryClient({ baseUrl: server.url });
    const join = async (email: string) => {
      const invited = await json<{ url: string }>(['org', 'invite', email]);
      const invitationToken = /#token=(\S+)/.exec(invited.url)![1]!;
      await anon.call('auth.signup', {
        body: { invitationToken, name: email.split('@')[0]!, password: PASSWORD },
      });
    };
    await join('dan@example.com');
    await join('erin@example.com');
    const members = await json<{ userId: string; email: string }[]>(['org', 'members']);
    const idOf = (email: string) => members.find((m) => m.email === email)!.userId;
    const dan = idOf('dan@example.com');
    const erin = idOf('erin@example.com');

    expect((await ferry(['org', 'set-role', dan, 'admin'])).out).toBe(
      `dan@example.com is now admin of ${orgId}\n`,
    );
    expect(await json<{ role: string }>(['org', 'set-role', dan, 'member'])).toMatchObject({
      role: 'member',
    });
    const badRole = await ferry(['org', 'set-role', dan, 'owner']);
    expect(badRole.code).toBe(EXIT.usage);
    expect(badRole.err).toMatch(/owner/);

    // A workspace role for erin, then taken away; she stays in the organization.
    expect((await ferry(['workspace', 'set-role', erin, 'member'])).out).toBe(
      `erin@example.com is now member of workspace ${workspaceId}\n`,
    );
    expect(await json<unknown[]>(['workspace', 'members'])).toHaveLength(2);
    expect(await json<unknown>(['workspace', 'remove-member', erin])).toEqual({ removed: erin });
    expect(await json<unknown[]>(['workspace', 'members'])).toHaveLength(1);

    // Invitations: the accepted ones and an open one, revoked.
    const frank = await json<{ invitation: { id: string } }>([
      'org',
      'invite',
      'frank@example.com',
    ]);
    const listed = await ferry(['org', 'invitations']);
    expect(listed.out).toMatch(/^ID\s+EMAIL\s+ROLE\s+STATE\s+EXPIRES\n/);
    expect(listed.out).toMatch(/dan@example\.com\s+member\s+accepted/);
    expect(listed.out).toMatch(
      new RegExp(`${frank.invitation.id}\\s+frank@example\\.com\\s+member\\s+open`),
    );
    expect((await ferry(['org', 'revoke-invitation', frank.invitation.id])).out).toBe(
      `invitation ${frank.invitation.id} revoked\n`,
    );
    const after = await json<{ id: string; revokedAt: string | null }[]>(['org', 'invitations']);
    expect(after.find((i) => i.id === frank.invitation.id)!.revokedAt).not.toBeNull();

    // Erin is removed; Dan leaves on his own (signed in to his own profile).
    expect((await ferry(['org', 'remove-member', erin])).out).toBe(
      `${erin} removed from ${orgId}\n`,
    );
    const danLogin = await ferry(
      [
        'login',
        '--url',
        server.url,
        '--email',
        'dan@example.com',
        '--password-stdin',
        '--profile',
        'dan',
      ],
      { stdin: `${PASSWORD}\n` },
    );
    expect(danLogin.code, danLogin.err).toBe(0);
    // No terminal to confirm on: --yes is needed, and nothing changes without it.
    const unconfirmed = await ferry(['org', 'leave', '--org', orgId, '--profile', 'dan']);
    expect(unconfirmed.code).toBe(EXIT.usage);
    expect(unconfirmed.err).toMatch(/missing --yes/);
    expect((await ferry(['org', 'leave', '--org', orgId, '--profile', 'dan', '--yes'])).out).toBe(
      `you left organization ${orgId}\n`,
    );
    expect(await json<unknown[]>(['org', 'members'])).toHaveLength(1);

    expect((await ferry(['org', 'rename', 'Acme Corp'])).out).toBe(
      `organization ${orgId} is now "Acme Corp"\n`,
    );
    expect(await json<{ name: string }>(['org', 'rename', 'Acme'])).toMatchObject({ name: 'Acme' });

    const doomed = await json<{ id: string }>(['org', 'create', 'Doomed']);
    const refused = await ferry(['org', 'delete', '--org', doomed.id]);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.err).toMatch(/missing --yes/);
    expect(await json<unknown>(['org', 'delete', '--org', doomed.id, '--yes'])).toEqual({
      deleted: doomed.id,
    });
    expect((await json<{ id: string }[]>(['org', 'list'])).map((o) => o.id)).not.toContain(
      doomed.id,
    );
  });

  it('creates a service account (secret shown once), lists and revokes it', async () => {
    const text = await ferry(['service-account', 'create', 'etl', '--scope', 'compute:read']);
    expect(text.out).toMatch(/client secret: \S+/);
    const made = await json<{ serviceAccount: { id: string }; clientSecret: string }>([
      'service-account',
      'create',
      'loader',
    ]);
    const list = await ferry(['service-account', 'list']);
    expect(list.out).toMatch(/^ID\s+NAME\s+SCOPES/);
    expect(list.out).toContain(made.serviceAccount.id);
    expect(list.out).not.toContain(made.clientSecret);
    expect((await ferry(['service-account', 'revoke', made.serviceAccount.id])).out).toBe(
      `service account ${made.serviceAccount.id} revoked\n`,
    );
    const after = await json<{ id: string; revokedAt: string | null }[]>([
      'service-account',
      'list',
    ]);
    expect(after.find((s) => s.id === made.serviceAccount.id)?.revokedAt).not.toBeNull();
  });

  it('creates a token with the password, lists and revokes it; a revoked token is refused', async () => {
    const bad = await ferry(['token', 'create', 'ci', '--scope', 'compute:nope']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toMatch(/unknown scope 'compute:nope'/);
    const created = JSON.parse(
      (
        await ferry(
          [
            'token',
            'create',
            'ci',
            '--scope',
            'compute:read,workspace:read',
            '--password-stdin',
            '--json',
          ],
          {
            stdin: PASSWORD,
          },
        )
      ).out,
    ) as { token: { id: string }; secret: string };
    expect(created.secret).toMatch(/^ferry_pat_/);
    const list = await ferry(['token', 'list']);
    expect(list.out).toContain(created.token.id);
    expect(list.out).not.toContain(created.secret);
    expect((await json<{ id: string }[]>(['token', 'list'])).map((t) => t.id)).toContain(
      created.token.id,
    );
    const ci = await ferry(['compute', 'list', '--token', created.secret]);
    expect(ci).toMatchObject({ code: 0, out: 'no clusters\n' });
    expect((await ferry(['token', 'revoke', created.token.id])).out).toBe(
      `token ${created.token.id} revoked\n`,
    );
    const refused = await ferry(['compute', 'list', '--token', created.secret]);
    expect(refused.code).toBe(EXIT.auth);
    expect(refused.err).toMatch(/^ferry: the control plane refused the token from --token/);
    expect(refused.err).not.toContain(created.secret);
  });

  it('reads the audit log with filters', async () => {
    const all = await json<{ action: string }[]>(['audit', '--limit', '100']);
    expect(all.map((e) => e.action)).toContain('orgs.create');
    const ws = await json<{ action: string }[]>(['audit', '--action', 'workspaces.*']);
    expect(ws.length).toBeGreaterThan(0);
    expect(ws.every((e) => e.action.startsWith('workspaces.'))).toBe(true);
    const text = await ferry(['audit', '--limit', '2']);
    expect(text.out.trimEnd().split('\n')).toHaveLength(3);
    expect(text.out).toMatch(/^TIME\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\n/);
    const bad = await ferry(['audit', '--since', 'yesterday']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toMatch(/^ferry: --since: /);
  });

  it('compute events, metrics and stop --all in a workspace with no clusters', async () => {
    expect(await ferry(['compute', 'stop', '--all'])).toEqual({
      code: 0,
      out: 'no live clusters\n',
      err: '',
    });
    expect(await json<unknown[]>(['compute', 'stop', '--all'])).toEqual([]);
    const unknown = 'cl_0123456789abcdefghjkmnpqrs';
    expect((await ferry(['compute', 'events', unknown])).code).toBe(EXIT.notFound);
    expect((await ferry(['compute', 'metrics', unknown, '--json'])).code).toBe(EXIT.notFound);
    expect((await ferry(['compute', 'stop'])).err).toBe(
      'ferry: missing the cluster id (or --all for every live cluster)\n',
    );
  });

  it('workspace aws status before any setup; connect without a platform says what to do', async () => {
    const status = await ferry(['workspace', 'aws', 'status']);
    expect(status.code).not.toBe(0);
    expect(status.err.trimEnd().split('\n')).toHaveLength(1);
    const connect = await ferry([
      'workspace',
      'aws',
      'connect',
      '--region',
      'eu-west-1',
      '--allowed-client-cidr',
      '203.0.113.0/24',
    ]);
    expect(connect.code).toBe(EXIT.conflict);
    expect(connect.err).toMatch(/ferry platform init/);
  });

  it('login --token keeps a given token in another profile, chosen by --profile or FERRY_PROFILE', async () => {
    const token = profiles().default!.token!;
    const r = await ferry(['login', '--url', server.url, '--token-stdin', '--profile', 'second'], {
      stdin: token,
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('(profile "second"');
    expect((await ferry(['whoami', '--profile', 'second'])).out).toContain('(profile "second")');
    expect((await ferry(['whoami'], { env: { FERRY_PROFILE: 'second' } })).out).toContain(
      '(profile "second")',
    );
    const refused = await ferry([
      'login',
      '--url',
      server.url,
      '--token',
      'ferry_pat_wrong',
      '--profile',
      'third',
    ]);
    expect(refused.code).toBe(EXIT.auth);
    expect(refused.err).toBe(
      'ferry: the control plane refused the token (unknown, expired or revoked)\n',
    );
    const badName = await ferry(['whoami', '--profile', '../etc']);
    expect(badName.code).toBe(EXIT.usage);
  });

  it('deletes a workspace only with --yes when there is no terminal', async () => {
    const asked = await ferry(['workspace', 'delete']);
    expect(asked.code).toBe(EXIT.usage);
    expect(asked.err).toBe(
      'ferry: missing --yes (stdin is not a terminal, so ferry does not ask for it)\n',
    );
    expect((await ferry(['workspace', 'delete', '--yes'])).out).toBe(
      `workspace ${workspaceId} deleted\n`,
    );
    expect(profiles().default!.workspace).toBeUndefined();
    expect((await ferry(['workspace', 'show', '--workspace', workspaceId])).code).toBe(
      EXIT.notFound,
    );
  });

  it('logout revokes the token login made; it is refused afterwards', async () => {
    const token = profiles().default!.token!;
    expect((await ferry(['logout'])).out).toBe(
      'signed out of profile "default" (its token revoked)\n',
    );
    expect(profiles().default!.token).toBeUndefined();
    const after = await ferry(['whoami', '--token', token]);
    expect(after.code).toBe(EXIT.auth);
    const none = await ferry(['whoami']);
    expect(none.code).toBe(EXIT.usage);
    expect(none.err).toMatch(/^ferry: missing --token \(or FERRY_TOKEN\); `ferry login` saves/);
    expect(await json<{ signedOut: boolean }>(['logout'])).toMatchObject({ signedOut: false });
  });
});
