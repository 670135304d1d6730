/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call --
   Raw response bodies are untyped JSON on purpose. */
/**
 * Connection routes without AWS: access keys are stored only as a ciphertext bound to their
 * row and never returned; bad input names the field; names are unique; an external ID must
 * be one this workspace prepared; members may use connections but not manage them; and a
 * secrets-key rotation re-encrypts the stored keys.
 */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createSecretsKeyRing, generateSecretsKey } from '../config/secrets-key.ts';
import { reencryptSecrets } from '../secrets/reencrypt-secrets.ts';
import { savePlatform } from '../aws/platform-init.ts';
import { decryptKeys } from '../connections/connections.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { workspaceRoleAllows } from '@ferry/core';
import { sessionUser, type TestCaller } from './api-test-kit.ts';

const SECRET = 'sEcReTsEcReTsEcReTsEcReTsEcReTsEcReT0123';
const KEY_ID = 'AKIAROUTESTESTKEY123';
const target = { type: 's3', bucket: 'sales-data', prefix: 'events/', region: 'us-east-1' };
const accessKeys = { kind: 'accessKeys', accessKeyId: KEY_ID, secretAccessKey: SECRET } as const;

describeEachBackend('connection routes', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createApp(ctx().resources);
    owner = await sessionUser(app, ctx().resources);
    const org = await owner.call('orgs.create', { body: { name: 'Conn' } });
    const ws = await owner.call('workspaces.create', {
      params: { orgId: org.body.id },
      body: { name: 'conn' },
    });
    workspaceId = ws.body.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('stores access keys only encrypted and never returns them', async () => {
    const createSales = () =>
      owner.call('connections.create', {
        params: { workspaceId },
        body: { name: 'sales', target, auth: accessKeys, skipTest: true },
      });
    const created = await createSales();
    expect(created.status, created.raw).toBe(201);
    expect(created.body).toMatchObject({
      state: 'Unverified',
      auth: { kind: 'accessKeys', accessKeyIdHint: '…Y123', notRecommended: true },
      policies: { trustPolicy: null },
    });
    const shown = await owner.call('connections.get', {
      params: { workspaceId, connectionName: 'sales' },
    });
    const listed = await owner.call('connections.list', { params: { workspaceId } });
    for (const raw of [created.raw, shown.raw, listed.raw]) {
      expect(raw).not.toContain(SECRET);
      expect(raw).not.toContain(KEY_ID);
    }
    const { resources } = ctx();
    const rows = await sql<{ t: string }>`select c::text as t from connections c`.execute(
      resources.db,
    );
    const audit = await sql<{ t: string }>`select a::text as t from audit_log a`.execute(
      resources.db,
    );
    for (const r of [...rows.rows, ...audit.rows]) {
      expect(r.t).not.toContain(SECRET);
      expect(r.t).not.toContain(KEY_ID);
    }
    const again = await createSales();
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('connection_name_taken');
  });

  it('re-encrypts the keys under a new secrets key, bound to their row', async () => {
    const { resources } = ctx();
    const db = resources.db;
    const row = await db
      .selectFrom('connections')
      .selectAll()
      .where('name', '=', 'sales')
      .executeTakeFirstOrThrow();
    const newKey = generateSecretsKey();
    // The backend's key stays inside its ring: decrypt with it, encrypt under the new key
    // (what a ring with the new primary and the old key as previous does).
    const fresh = createSecretsKeyRing(newKey);
    const during = {
      ...resources.secrets,
      primaryKeyId: fresh.primaryKeyId,
      encrypt: (plaintext: string, aad?: string) => fresh.encrypt(plaintext, aad),
      needsReencryption: (c: string) => resources.secrets.keyIdOf(c) !== fresh.primaryKeyId,
    };
    const report = await reencryptSecrets({ db: resources.db, secrets: during });
    expect(report.connections).toBeGreaterThanOrEqual(1);
    const after = await db
      .selectFrom('connections')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after.secret_ciphertext).not.toBe(row.secret_ciphertext);
    const onlyNew = createSecretsKeyRing(newKey);
    expect(decryptKeys({ secrets: onlyNew, log: resources.log }, after)).toEqual({
      accessKeyId: KEY_ID,
      secretAccessKey: SECRET,
    });
    // Moved to another row, the ciphertext does not decrypt.
    expect(() =>
      decryptKeys({ secrets: onlyNew, log: resources.log }, { ...after, id: 'con_other' }),
    ).toThrow(/authentication/);
  });

  it('names the field of bad input', async () => {
    const cases: [unknown, string, RegExp][] = [
      [
        {
          kind: 'role',
          roleArn: 'arn:aws:iam::12345:role/x',
          externalId: 'ferry-' + 'a'.repeat(43),
        },
        'body.auth.roleArn',
        /12 digits/,
      ],
      [
        {
          kind: 'role',
          roleArn: 'arn:aws:iam::123456789012:user/x',
          externalId: 'ferry-' + 'a'.repeat(43),
        },
        'body.auth.roleArn',
        /role\/<name>/,
      ],
      [
        {
          kind: 'role',
          roleArn: 'arn:aws-xx:iam::123456789012:role/x',
          externalId: 'ferry-' + 'a'.repeat(43),
        },
        'body.auth.roleArn',
        /partition/,
      ],
      [
        {
          kind: 'role',
          roleArn: 'arn:aws:iam::123456789012:role/x',
          externalId: 'ferry-' + 'a'.repeat(43),
        },
        'body.auth.externalId',
        /prepared in this workspace/,
      ],
    ];
    for (const [auth, path, message] of cases) {
      const res = await owner.call('connections.create', {
        params: { workspaceId },
        body: { name: 'bad', target, auth, skipTest: true },
      });
      expect(res.status, res.raw).toBe(400);
      const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
      expect(detail?.message, res.raw).toMatch(message);
    }
    const prefix = await owner.call('connections.create', {
      params: { workspaceId },
      body: {
        name: 'bad',
        target: { ...target, prefix: 'events' },
        auth: accessKeys,
      },
    });
    expect(prefix.status).toBe(400);
    expect(prefix.raw).toContain('body.target.prefix');
    const kinesisKeys = await owner.call('connections.create', {
      params: { workspaceId },
      body: {
        name: 'bad',
        target: { type: 'kinesis', stream: 'clicks', region: 'us-east-1' },
        auth: accessKeys,
        skipTest: true,
      },
    });
    expect(kinesisKeys.status).toBe(400);
    expect(kinesisKeys.body.error.details[0].path).toBe('body.auth.kind');
    const noPlatform = await owner.call('connections.prepare', {
      params: { workspaceId },
      body: { target },
    });
    expect(noPlatform.status).toBe(409);
    expect(noPlatform.body.error.code).toBe('platform_not_initialized');
  });

  it('lets members use connections and admins manage them', () => {
    expect(workspaceRoleAllows('member', 'connections:use')).toBe(true);
    expect(workspaceRoleAllows('member', 'connections:manage')).toBe(false);
    expect(workspaceRoleAllows('admin', 'connections:manage')).toBe(true);
  });

  it('saves a role connection without a test and shows it with its policies', async () => {
    // The detail's policies read the platform after the save opened the request's
    // transaction: on PGlite that read once waited for the commit that waited for it.
    const { resources } = ctx();
    await savePlatform(resources, {
      principalArn: 'arn:aws:iam::111111111111:user/ferry-platform',
      accountId: '111111111111',
      region: 'us-east-1',
      topicArn: 'arn:aws:sns:us-east-1:111111111111:ferry-phone-home',
      queueUrl: 'http://127.0.0.1:1/111111111111/ferry-phone-home',
      queueArn: 'arn:aws:sqs:us-east-1:111111111111:ferry-phone-home',
      subscriptionArn: 'arn:aws:sns:us-east-1:111111111111:ferry-phone-home:1',
      templateBucket: 'ferry-templates-111111111111',
    });
    const prepared = await owner.call('connections.prepare', {
      params: { workspaceId },
      body: { target, name: 'by-role' },
    });
    expect(prepared.status, prepared.raw).toBe(201);
    const auth = {
      kind: 'role',
      roleArn: 'arn:aws:iam::222222222222:role/ferry-by-role',
      externalId: prepared.body.policies.externalId,
    };
    const created = await owner.call('connections.create', {
      params: { workspaceId },
      body: { name: 'by-role', target, auth, skipTest: true },
    });
    expect(created.status, created.raw).toBe(201);
    expect(created.body).toMatchObject({
      state: 'Unverified',
      auth,
      policies: {
        principalArn: 'arn:aws:iam::111111111111:user/ferry-platform',
        externalId: auth.externalId,
      },
    });
  }, 20_000);

  it('deletes a connection and answers 404 afterwards', async () => {
    const deleted = await owner.call('connections.delete', {
      params: { workspaceId, connectionName: 'sales' },
    });
    expect(deleted.status).toBe(204);
    const gone = await owner.call('connections.get', {
      params: { workspaceId, connectionName: 'sales' },
    });
    expect(gone.status).toBe(404);
  });
});
