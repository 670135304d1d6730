/**
 * No token in the log, end to end: a full run — the admin's setup token, a login session,
 * a personal token, a service account's secret and access token, an invitation and the
 * signup it allows, a workspace's AWS setup link opened by its URL, a data connection's
 * access key (stored, then decrypted for a re-test), a cluster whose node
 * registers with its bootstrap token and heartbeats with its node token, then stopped, and
 * requests that carry tokens where they do not belong — logged at debug level. The whole
 * log is then searched for every token the run created, and for any token of any family
 * that was not redacted.
 */
import {
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
} from '@aws-sdk/client-ec2';
import { launchTemplateName, SECRET_PREFIXES } from '@ferry/control-plane';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusters } from './fixtures/compute-helpers.ts';
import {
  REGION,
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import { findSecrets } from './fixtures/secret-scan.ts';

const lines: string[] = [];
let f: ConnectedWorkspace;

beforeAll(async () => {
  f = await startConnectedWorkspace({
    logDestination: { write: (line) => void lines.push(line) },
    configure: (config) => {
      config.log.level = 'debug';
    },
  });
}, 180_000);

afterAll(async () => {
  await f?.stop();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const res = await fetch(`${f.controlPlane.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

describe('the log of a full run', () => {
  it('holds no token the run created, and no unredacted token of any family', async () => {
    const created: Record<string, string> = { adminSetup: f.adminSetupToken };
    expect(created.adminSetup).toMatch(/^ferry_setup_/);

    // A dashboard session.
    const login = await call('POST', '/api/v1/auth/login', {
      body: { email: 'admin@example.com', password: 'correct horse battery staple' },
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    created.session = cookie.split('=')[1] ?? '';
    expect(created.session).toMatch(/^ferry_ses_/);
    const session = { cookie, 'x-csrf-token': String(login.body.csrfToken) };

    // A personal token, used.
    const pat = await call('POST', '/api/v1/auth/tokens', {
      headers: session,
      body: { name: 'scan', scopes: ['org:read', 'compute:read'], expiresInDays: 1 },
    });
    expect(pat.status).toBe(201);
    created.personalToken = String(pat.body.secret);
    const asPat = { authorization: `Bearer ${created.personalToken}` };
    expect((await call('GET', `/api/v1/orgs/${f.orgId}`, { headers: asPat })).status).toBe(200);

    // A service account's secret, exchanged for an access token, used.
    const sa = await call('POST', `/api/v1/workspaces/${f.workspaceId}/service-accounts`, {
      headers: session,
      body: { name: 'scan' },
    });
    expect(sa.status).toBe(201);
    created.serviceAccountSecret = String(sa.body.clientSecret);
    const exchanged = await call('POST', '/api/v1/auth/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: sa.body.clientId,
        client_secret: created.serviceAccountSecret,
      },
    });
    expect(exchanged.status).toBe(200);
    created.accessToken = String(exchanged.body.access_token);
    const asSa = { authorization: `Bearer ${created.accessToken}` };
    const seen = await call('GET', `/api/v1/workspaces/${f.workspaceId}`, { headers: asSa });
    expect(seen.status).toBe(200);

    // An invitation, and the signup it allows.
    const inv = await call('POST', `/api/v1/orgs/${f.orgId}/invitations`, {
      headers: session,
      body: { email: 'scan-invitee@example.com', role: 'member' },
    });
    expect(inv.status).toBe(201);
    created.invitation = String(inv.body.token);
    const signup = await call('POST', '/api/v1/auth/signup', {
      body: {
        invitationToken: created.invitation,
        name: 'Invitee',
        password: 'another long password',
      },
    });
    expect(signup.status).toBe(201);

    // A workspace's AWS setup link, opened by its URL (the token rides in the query).
    const ws = await call('POST', `/api/v1/orgs/${f.orgId}/workspaces`, {
      headers: session,
      body: { name: 'Scanned' },
    });
    const setup = await call('POST', `/api/v1/workspaces/${String(ws.body.id)}/aws-setup`, {
      headers: session,
      body: { region: REGION, network: { kind: 'new' }, allowedClientCidr: '127.0.0.0/8' },
    });
    expect(setup.status).toBe(201);
    const link = new URL(String(setup.body.setupLink));
    created.setupLink = link.searchParams.get('token') ?? '';
    expect(created.setupLink).toMatch(/^ferry_setup_/);
    const opened = await call('GET', `${link.pathname}${link.search}`);
    expect(opened.status).toBe(200);

    // A data connection's access keys: stored, then decrypted and used by a re-test.
    created.connectionSecret = randomBytes(30).toString('base64').slice(0, 40);
    const conn = await call('POST', `/api/v1/workspaces/${f.workspaceId}/connections`, {
      headers: session,
      body: {
        name: 'scan',
        target: { type: 's3', bucket: 'scan-bucket', region: 'us-east-1' },
        auth: {
          kind: 'accessKeys',
          accessKeyId: 'AKIASCANSCANSCANSCAN',
          secretAccessKey: created.connectionSecret,
        },
        skipTest: true,
      },
    });
    expect(conn.status, JSON.stringify(conn.body)).toBe(201);
    const retested = await call(
      'POST',
      `/api/v1/workspaces/${f.workspaceId}/connections/scan/test`,
      { headers: session },
    );
    expect(retested.status, JSON.stringify(retested.body)).toBe(200);

    // A cluster: its node registers with the bootstrap token and heartbeats with its node
    // token; then it stops.
    const api = clusters(f);
    const started = await api.start({ cpus: 2, memory: 4 });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    await api.waitFor(started.body.id, ['Idle'], 90_000);
    const ec2 = f.customerEc2();
    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        LaunchTemplateNames: [launchTemplateName(started.body.id)],
      }),
    );
    const versions = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: templates.LaunchTemplates?.[0]?.LaunchTemplateId ?? '',
        Versions: ['$Latest'],
      }),
    );
    const userData = Buffer.from(
      versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData ?? '',
      'base64',
    ).toString('utf8');
    created.bootstrap = /ferry_boot_[A-Za-z0-9_-]+/.exec(userData)?.[0] ?? '';
    expect(created.bootstrap).toMatch(/^ferry_boot_/);
    expect((await api.stop(started.body.id)).status).toBe(200);
    await api.waitFor(started.body.id, ['Stopped'], 60_000);

    // Tokens where they do not belong: in a query, in a path, in a bad body.
    for (const t of Object.values(created)) {
      await call('GET', `/api/v1/no-such-route/${t}?token=${t}`);
      await call('GET', `/api/v1/orgs?cursor=${t}`, { headers: session });
      await call('DELETE', `/api/v1/auth/tokens/${t}`, { headers: session });
      await call('POST', '/api/v1/auth/token', { body: { grant_type: t, client_id: t } });
    }

    const log = lines.join('');
    // The log did record the run, at debug level, with the link's URL redacted.
    expect(log).toContain('incoming request');
    expect(log).toContain('/api/v1/aws-setup-link?token=[Redacted]');
    expect(findSecrets({ 'the log': log }, created, Object.values(SECRET_PREFIXES))).toEqual([]);
    for (const prefix of Object.values(SECRET_PREFIXES)) {
      const leaked = new RegExp(`${prefix}(?!\\[Redacted\\])[A-Za-z0-9_-]{8,}`).exec(log);
      expect(leaked?.[0], `an unredacted ${prefix} token`).toBeUndefined();
    }
  }, 300_000);
});
