/**
 * A workspace's data connections: prepare (reserve an external ID and render the policies
 * before the role exists), test, create (after a passing test, or Unverified), list, show,
 * re-test, replace access keys, delete. Access keys are stored only encrypted, bound to
 * their row, and never returned; the logger learns each key it handles.
 */
import type {
  ConnectionAuthInput,
  DataConnectionDetail,
  ConnectionTargetInput,
  DataConnection,
} from '@ferry/api';
import { ConflictError, NotFoundError, ValidationError, newId } from '@ferry/core';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type {
  ConnectionsTable,
  StoredConnectionTarget,
  StoredConnectionTest,
} from '../db/tables/index.ts';
import type { RunInTransaction } from '../http/request-transaction.ts';
import { DEFAULT_PAGE_SIZE } from '../http/cursor.ts';
import { addLogSecret } from '../ops/logger.ts';
import type { Resources } from '../resources.ts';
import { loadPlatform } from '../aws/platform-init.ts';
import { newExternalId } from '../aws/setup-service.ts';
import type { BrokerActor } from '../aws/credential-broker.ts';
import {
  renderConnectionPolicies,
  roleNameOf,
  type ConnectionPolicies,
} from './connection-policies.ts';
import {
  accountOfArn,
  testConnection,
  type ConnectionCredentialsInput,
} from './connection-tester.ts';

type Row = Selectable<ConnectionsTable>;

/** What the API says about access keys wherever they appear. */
export const ACCESS_KEYS_WARNING =
  'Access keys are not recommended: they do not expire and are stored by ferry (encrypted). Prefer a role with an external ID.';

/** Associated data binding a ciphertext to its row, so it cannot be moved to another. */
export const secretAad = (connectionId: string): string => `connection:${connectionId}`;

/** Encrypts an access key pair for one row. */
export function encryptKeys(
  resources: Pick<Resources, 'secrets'>,
  connectionId: string,
  keys: { accessKeyId: string; secretAccessKey: string },
): string {
  return resources.secrets.encrypt(JSON.stringify(keys), secretAad(connectionId));
}

/** Decrypts a row's access key pair (and teaches the logger its secret). */
export function decryptKeys(
  resources: Pick<Resources, 'secrets' | 'log'>,
  row: Pick<Row, 'id' | 'secret_ciphertext'>,
): { accessKeyId: string; secretAccessKey: string } {
  if (row.secret_ciphertext === null) throw new Error(`connection ${row.id} has no keys`);
  const keys = JSON.parse(resources.secrets.decrypt(row.secret_ciphertext, secretAad(row.id))) as {
    accessKeyId: string;
    secretAccessKey: string;
  };
  addLogSecret(resources.log, keys.secretAccessKey);
  return keys;
}

/** A target as stored: the stream's ARN resolved from the role's account when given by name. */
export function storedTarget(
  target: ConnectionTargetInput,
  accountId: string | undefined,
  partition = 'aws',
): StoredConnectionTarget {
  if (target.type === 's3') {
    return {
      type: 's3',
      bucket: target.bucket,
      prefix: target.prefix ?? null,
      writePrefix: target.writePrefix ?? null,
      region: target.region,
    };
  }
  const streamArn = target.stream.startsWith('arn:')
    ? target.stream
    : accountId !== undefined
      ? `arn:${partition}:kinesis:${target.region}:${accountId}:stream/${target.stream}`
      : null;
  return { type: 'kinesis', stream: target.stream, streamArn, region: target.region };
}

function checkAuthFits(target: ConnectionTargetInput, auth: ConnectionAuthInput): void {
  if (target.type === 'kinesis' && auth.kind === 'accessKeys') {
    throw new ValidationError('Access keys are accepted for S3 connections only.', {
      details: [
        {
          path: 'body.auth.kind',
          message: 'access keys are accepted for S3 only: use a role with an external ID',
        },
      ],
    });
  }
}

/** The external ID must be one `prepare` reserved in this workspace, not yet used. */
async function checkExternalId(
  db: Kysely<Database>,
  workspaceId: string,
  externalId: string,
): Promise<void> {
  const row = await db
    .selectFrom('connection_external_ids')
    .select(['connection_id'])
    .where('external_id', '=', externalId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (row === undefined) {
    throw new ValidationError('Unknown external ID.', {
      details: [
        {
          path: 'body.auth.externalId',
          message: 'is not an external ID prepared in this workspace (POST …/connections/prepare)',
        },
      ],
    });
  }
  if (row.connection_id !== null) {
    throw new ConflictError(
      'external_id_in_use',
      'This external ID belongs to another connection: prepare a new one for a new connection.',
    );
  }
}

function credentialsOf(auth: ConnectionAuthInput): ConnectionCredentialsInput {
  return auth.kind === 'role'
    ? { kind: 'role', roleArn: auth.roleArn, externalId: auth.externalId }
    : { kind: 'accessKeys', accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey };
}

/** Fails with the failing checks when a test did not pass. */
function requirePassed(test: StoredConnectionTest): void {
  if (test.ok) return;
  const failed = test.checks.filter((c) => c.outcome === 'fail');
  throw new ConflictError(
    'connection_test_failed',
    `The connection test failed: ${failed.map((c) => `${c.name}: ${c.message}`).join('; ')}. Fix the role or its policies, or save with skipTest (Unverified).`,
    { details: failed.map((c) => ({ path: c.name, message: c.message })) },
  );
}

/** A summary of a failed test, for `stateReason`. */
export function failureReason(test: StoredConnectionTest): string | null {
  if (test.ok) return null;
  return test.checks
    .filter((c) => c.outcome === 'fail')
    .map((c) => `${c.name}: ${c.message}`)
    .join('; ');
}

function targetView(t: StoredConnectionTarget): DataConnection['target'] {
  return t.type === 's3'
    ? {
        type: 's3',
        bucket: t.bucket,
        prefix: t.prefix,
        writePrefix: t.writePrefix,
        region: t.region,
      }
    : { type: 'kinesis', stream: t.stream, streamArn: t.streamArn, region: t.region };
}

const iso = (d: Date): string => new Date(d).toISOString();

/** A row as the API shows it: never the keys. */
export function connectionView(row: Row): DataConnection {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    description: row.description,
    target: targetView(row.target),
    auth:
      row.auth_kind === 'role'
        ? { kind: 'role', roleArn: row.role_arn ?? '', externalId: row.external_id ?? '' }
        : {
            kind: 'accessKeys',
            accessKeyIdHint: `…${row.access_key_hint ?? ''}`,
            notRecommended: true,
            warning: ACCESS_KEYS_WARNING,
          },
    state: row.state,
    stateReason: row.state_reason,
    lastTest: row.last_test,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

async function detailOf(resources: Resources, row: Row): Promise<DataConnectionDetail> {
  let policies: ConnectionPolicies;
  if (row.auth_kind === 'role' && row.role_arn !== null && row.external_id !== null) {
    const platform = await loadPlatform(resources).catch(() => undefined);
    policies = renderConnectionPolicies({
      target: row.target,
      workspaceId: row.workspace_id,
      role: {
        principalArn: platform?.principalArn ?? '',
        externalId: row.external_id,
        roleName: roleNameOf(row.role_arn),
      },
    });
  } else {
    policies = renderConnectionPolicies({ target: row.target, workspaceId: row.workspace_id });
  }
  return { ...connectionView(row), policies };
}

/** Reserves an external ID and renders the policies for a connection not created yet. */
export async function prepareConnection(
  resources: Resources,
  input: {
    workspaceId: string;
    createdBy: string;
    target: ConnectionTargetInput;
    name?: string | undefined;
    accountId?: string | undefined;
    now: Date;
    transaction: RunInTransaction;
  },
): Promise<{ workspaceId: string; policies: ConnectionPolicies }> {
  const platform = await loadPlatform(resources);
  const target = storedTarget(input.target, input.accountId);
  if (target.type === 'kinesis' && target.streamArn === null) {
    throw new ValidationError('The stream’s account is needed for its policy.', {
      details: [
        {
          path: 'body.accountId',
          message: 'is required when the stream is given by name (or give the stream’s ARN)',
        },
      ],
    });
  }
  const externalId = newExternalId();
  await input.transaction((trx) =>
    trx
      .insertInto('connection_external_ids')
      .values({
        external_id: externalId,
        workspace_id: input.workspaceId,
        created_by: input.createdBy,
        created_at: input.now,
        connection_id: null,
      })
      .execute(),
  );
  return {
    workspaceId: input.workspaceId,
    policies: renderConnectionPolicies({
      target,
      workspaceId: input.workspaceId,
      role: {
        principalArn: platform.principalArn,
        externalId,
        roleName: `ferry-${input.name ?? 'connection'}`,
      },
    }),
  };
}

/** Tests a connection that is not saved yet. */
export async function testNewConnection(
  resources: Resources,
  input: {
    orgId: string;
    workspaceId: string;
    actor: BrokerActor;
    target: ConnectionTargetInput;
    auth: ConnectionAuthInput;
    now: Date;
  },
): Promise<StoredConnectionTest> {
  checkAuthFits(input.target, input.auth);
  if (input.auth.kind === 'role')
    await checkExternalIdKnown(resources.db, input.workspaceId, input.auth.externalId);
  else addLogSecret(resources.log, input.auth.secretAccessKey);
  const account = input.auth.kind === 'role' ? accountOfArn(input.auth.roleArn) : undefined;
  return testConnection(resources, {
    orgId: input.orgId,
    workspaceId: input.workspaceId,
    actor: input.actor,
    target: storedTarget(input.target, account),
    auth: credentialsOf(input.auth),
    now: input.now,
  });
}

/** A test may use an external ID again (its connection's, to re-test it), but only this workspace's. */
async function checkExternalIdKnown(
  db: Kysely<Database>,
  workspaceId: string,
  externalId: string,
): Promise<void> {
  try {
    await checkExternalId(db, workspaceId, externalId);
  } catch (err) {
    if (err instanceof ConflictError) return;
    throw err;
  }
}

/** Saves a connection after a passing test (or Unverified with `skipTest`). */
export async function createConnection(
  resources: Resources,
  input: {
    orgId: string;
    workspaceId: string;
    actor: BrokerActor;
    createdBy: string;
    body: {
      name: string;
      description?: string | undefined;
      target: ConnectionTargetInput;
      auth: ConnectionAuthInput;
      skipTest?: boolean | undefined;
    };
    now: Date;
    transaction: RunInTransaction;
  },
): Promise<DataConnectionDetail> {
  const { body } = input;
  checkAuthFits(body.target, body.auth);
  if (body.auth.kind === 'role')
    await checkExternalId(resources.db, input.workspaceId, body.auth.externalId);
  else addLogSecret(resources.log, body.auth.secretAccessKey);
  await requireNameFree(resources.db, input.workspaceId, body.name);
  const account = body.auth.kind === 'role' ? accountOfArn(body.auth.roleArn) : undefined;
  const target = storedTarget(body.target, account);
  let test: StoredConnectionTest | null = null;
  if (body.skipTest !== true) {
    test = await testConnection(resources, {
      orgId: input.orgId,
      workspaceId: input.workspaceId,
      actor: input.actor,
      target,
      auth: credentialsOf(body.auth),
      now: input.now,
    });
    requirePassed(test);
  }
  const id = newId('connection', input.now.getTime());
  const row = await input.transaction(async (trx) => {
    const db = trx;
    // Checked again inside the transaction: a concurrent create may have won.
    await requireNameFree(trx, input.workspaceId, body.name);
    if (body.auth.kind === 'role') {
      const claimed = await db
        .updateTable('connection_external_ids')
        .set({ connection_id: id })
        .where('external_id', '=', body.auth.externalId)
        .where('workspace_id', '=', input.workspaceId)
        .where('connection_id', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new ConflictError(
          'external_id_in_use',
          'This external ID belongs to another connection.',
        );
    }
    return db
      .insertInto('connections')
      .values({
        id,
        workspace_id: input.workspaceId,
        org_id: input.orgId,
        name: body.name,
        description: body.description ?? '',
        type: body.target.type,
        target: JSON.stringify(target),
        auth_kind: body.auth.kind,
        role_arn: body.auth.kind === 'role' ? body.auth.roleArn : null,
        external_id: body.auth.kind === 'role' ? body.auth.externalId : null,
        access_key_hint: body.auth.kind === 'accessKeys' ? body.auth.accessKeyId.slice(-4) : null,
        secret_ciphertext:
          body.auth.kind === 'accessKeys'
            ? encryptKeys(resources, id, {
                accessKeyId: body.auth.accessKeyId,
                secretAccessKey: body.auth.secretAccessKey,
              })
            : null,
        state: test === null ? 'Unverified' : 'Verified',
        state_reason: test === null ? 'saved without a test (skipTest)' : null,
        last_test: test === null ? null : JSON.stringify(test),
        last_test_at: test === null ? null : input.now,
        created_by: input.createdBy,
        created_at: input.now,
        updated_at: input.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  return detailOf(resources, row);
}

async function requireNameFree(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
): Promise<void> {
  const taken = await db
    .selectFrom('connections')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (taken !== undefined)
    throw new ConflictError(
      'connection_name_taken',
      `A connection named "${name}" already exists in this workspace.`,
    );
}

/** A connection of the workspace by name; a foreign or missing one is 404 alike. */
export async function connectionRow(
  db: Kysely<Database>,
  workspaceId: string,
  name: string,
): Promise<Row> {
  const row = await db
    .selectFrom('connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (row === undefined)
    throw new NotFoundError(`No connection named "${name}" in this workspace.`);
  return row;
}

/** One connection with its policies. */
export async function getConnection(
  resources: Resources,
  workspaceId: string,
  name: string,
): Promise<DataConnectionDetail> {
  return detailOf(resources, await connectionRow(resources.db, workspaceId, name));
}

const CURSOR_PREFIX = 'c1:';

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const name = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
    throw new ValidationError('Invalid cursor.', {
      details: [{ path: 'query.cursor', message: 'is not a cursor this API returned' }],
    });
  }
  return name;
}

/** A workspace's connections by name. */
export async function listConnections(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: DataConnection[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = resources.db
    .selectFrom('connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId);
  if (page.cursor !== undefined) q = q.where('name', '>', decodeCursor(page.cursor));
  const rows = await q
    .orderBy('name', 'asc')
    .limit(limit + 1)
    .execute();
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return {
    items: kept.map(connectionView),
    nextCursor:
      rows.length > limit && last !== undefined
        ? Buffer.from(`${CURSOR_PREFIX}${last.name}`, 'utf8').toString('base64url')
        : null,
  };
}

/** Runs a saved connection's test (holding no database connection while AWS answers). */
export async function runSavedTest(
  resources: Resources,
  row: Row,
  actor: BrokerActor,
  now: Date,
): Promise<StoredConnectionTest> {
  const auth: ConnectionCredentialsInput =
    row.auth_kind === 'role'
      ? { kind: 'role', roleArn: row.role_arn ?? '', externalId: row.external_id ?? '' }
      : { kind: 'accessKeys', ...decryptKeys(resources, row) };
  return testConnection(resources, {
    orgId: row.org_id,
    workspaceId: row.workspace_id,
    actor,
    target: row.target,
    auth,
    now,
  });
}

/** Records a test's result and the state it implies. */
export async function recordTest(
  db: Kysely<Database>,
  row: Row,
  test: StoredConnectionTest,
  now: Date,
): Promise<Row> {
  const updated = await db
    .updateTable('connections')
    .set({
      state: test.ok ? 'Verified' : 'Failing',
      state_reason: failureReason(test),
      last_test: JSON.stringify(test),
      last_test_at: now,
      updated_at: now,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirst();
  if (updated === undefined)
    throw new NotFoundError(`No connection named "${row.name}" in this workspace.`);
  return updated;
}

/** Tests a saved connection and records the result. */
export async function retestConnection(
  resources: Resources,
  row: Row,
  actor: BrokerActor,
  now: Date,
): Promise<Row> {
  return recordTest(resources.db, row, await runSavedTest(resources, row, actor, now), now);
}

/** Tests a saved connection now (the route's view). */
export async function retestConnectionByName(
  resources: Resources,
  input: {
    workspaceId: string;
    name: string;
    actor: BrokerActor;
    now: Date;
    transaction: RunInTransaction;
  },
): Promise<DataConnectionDetail> {
  const row = await connectionRow(resources.db, input.workspaceId, input.name);
  const test = await runSavedTest(resources, row, input.actor, input.now);
  const updated = await input.transaction((trx) => recordTest(trx, row, test, input.now));
  return detailOf(resources, updated);
}

/** Replaces an access-key connection's keys, after a passing test unless `skipTest`. */
export async function rotateConnectionKeys(
  resources: Resources,
  input: {
    workspaceId: string;
    name: string;
    actor: BrokerActor;
    keys: { accessKeyId: string; secretAccessKey: string };
    skipTest: boolean;
    now: Date;
    transaction: RunInTransaction;
  },
): Promise<DataConnectionDetail> {
  addLogSecret(resources.log, input.keys.secretAccessKey);
  const row = await connectionRow(resources.db, input.workspaceId, input.name);
  if (row.auth_kind !== 'accessKeys')
    throw new ConflictError(
      'connection_not_access_keys',
      `Connection "${row.name}" uses a role; only access-key connections have keys to replace.`,
    );
  let test: StoredConnectionTest | null = null;
  if (!input.skipTest) {
    test = await testConnection(resources, {
      orgId: row.org_id,
      workspaceId: row.workspace_id,
      actor: input.actor,
      target: row.target,
      auth: { kind: 'accessKeys', ...input.keys },
      now: input.now,
    });
    requirePassed(test);
  }
  const updated = await input.transaction((trx) =>
    trx
      .updateTable('connections')
      .set({
        secret_ciphertext: encryptKeys(resources, row.id, input.keys),
        access_key_hint: input.keys.accessKeyId.slice(-4),
        state: test === null ? 'Unverified' : 'Verified',
        state_reason: test === null ? 'keys replaced without a test (skipTest)' : null,
        last_test: test === null ? null : JSON.stringify(test),
        last_test_at: test === null ? null : input.now,
        updated_at: input.now,
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return detailOf(resources, updated);
}

/** Deletes a connection and its stored keys; its external ID stays reserved for ever. */
export async function deleteConnection(
  resources: Resources,
  input: { workspaceId: string; name: string; transaction: RunInTransaction },
): Promise<string> {
  const row = await connectionRow(resources.db, input.workspaceId, input.name);
  await input.transaction((trx) =>
    trx.deleteFrom('connections').where('id', '=', row.id).execute(),
  );
  return row.id;
}
