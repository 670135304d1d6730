/**
 * The unauthenticated admin API under `/_localcloud/`: accounts, health, faults. Bound to
 * the same loopback address as the AWS endpoint.
 */
import type { RawRequest, RawResponse } from './contract.ts';
import type { CloudInternals } from './cloud.ts';
import { rootCaller } from './cloud.ts';
import { FaultDefinitionError } from './faults.ts';

/** Name of the administrator user of every account created through the admin API. */
export const ADMIN_USER_NAME = 'admin';

const ADMIN_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

function json(status: number, body: unknown): RawResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

function parseBody(request: RawRequest): Record<string, unknown> | RawResponse {
  const text = request.body.toString('utf8').trim();
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  return json(400, { error: 'the body must be a JSON object' });
}

const isResponse = (v: unknown): v is RawResponse =>
  typeof v === 'object' && v !== null && 'status' in v && 'body' in v && 'headers' in v;

/**
 * Creates an account with an administrator IAM user (inline policy `*` on `*`) and returns
 * that user's access key.
 */
export async function createAccount(
  cloud: CloudInternals,
  name: string | undefined,
): Promise<{ accountId: string; accessKeyId: string; secretAccessKey: string }> {
  const account = cloud.credentials.createAccount(name, cloud.now());
  const root = rootCaller(account.accountId);
  await cloud.invoke('iam', 'CreateUser', { UserName: ADMIN_USER_NAME }, root, 'us-east-1');
  await cloud.invoke(
    'iam',
    'PutUserPolicy',
    { UserName: ADMIN_USER_NAME, PolicyName: 'AdministratorAccess', PolicyDocument: ADMIN_POLICY },
    root,
    'us-east-1',
  );
  const key = cloud.credentials.issue(
    account.accountId,
    { type: 'user', userName: ADMIN_USER_NAME },
    cloud.now(),
  );
  cloud.store.markDirty();
  return {
    accountId: account.accountId,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
  };
}

/** Answers an admin request, or undefined when the path is not an admin route of core. */
export async function handleAdminRequest(
  cloud: CloudInternals,
  request: RawRequest,
): Promise<RawResponse | undefined> {
  const { method, path } = request;
  if (path === '/_localcloud/health' && method === 'GET') return json(200, { ok: true });
  if (path === '/_localcloud/accounts') {
    if (method === 'GET') return json(200, { accounts: cloud.credentials.accounts() });
    if (method !== 'POST') return json(405, { error: 'use POST' });
    const body = parseBody(request);
    if (isResponse(body)) return body;
    if (body.name !== undefined && typeof body.name !== 'string')
      return json(400, { error: 'name must be a string' });
    return json(201, await createAccount(cloud, body.name));
  }
  const one = /^\/_localcloud\/faults\/([^/]+)$/.exec(path);
  if (one) {
    if (method !== 'GET') return json(405, { error: 'use GET' });
    const fault = cloud.faultRegistry.get(decodeURIComponent(one[1] ?? ''));
    return fault ? json(200, fault) : json(404, { error: 'no such fault' });
  }
  if (path === '/_localcloud/faults') {
    if (method === 'GET') return json(200, { faults: cloud.faults.list() });
    if (method === 'DELETE') {
      const count = cloud.faults.list().length;
      cloud.faultRegistry.clear();
      return json(200, { cleared: count });
    }
    if (method !== 'POST') return json(405, { error: 'use GET, POST or DELETE' });
    const body = parseBody(request);
    if (isResponse(body)) return body;
    try {
      const fault = cloud.faultRegistry.add(body);
      return fault ? json(201, fault) : json(200, { seed: body.seed });
    } catch (err) {
      if (err instanceof FaultDefinitionError) return json(400, { error: err.message });
      throw err;
    }
  }
  return undefined;
}
