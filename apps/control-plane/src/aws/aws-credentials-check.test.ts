/**
 * A control plane without AWS credentials: it starts, says so once in its log and in
 * `/readyz`, answers its AWS routes with 409 naming the settings, and its every-2-s
 * phone-home job neither fails nor logs a stack trace. Also: a running server sees the
 * platform that `ferry platform init` (another process, on the same database) recorded,
 * without a restart.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { ownerWithWorkspace } from '../compute/cluster-fixture.ts';
import type { TestCaller } from '../routes/api-test-kit.ts';
import { createTestBackend, type TestBackend } from '../testing/backends.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { consumePhoneHome } from './aws-setup-jobs.ts';
import { savePlatform } from './platform-init.ts';

// Nothing for the SDK's default chain to find: no keys, no profile files, no instance role.
const NO_CREDENTIALS_ENV = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  AWS_CONFIG_FILE: '/nonexistent/config',
  AWS_EC2_METADATA_DISABLED: 'true',
};

const logs = createLogCapture();
const saved: Record<string, string | undefined> = {};
let backend: TestBackend;
/** Another process on the same database, the way `ferry platform init` runs beside a server. */
let initProcess: TestBackend;
let app: FastifyInstance;
let owner: TestCaller;
let workspaceId: string;

beforeAll(async () => {
  for (const [k, v] of Object.entries(NO_CREDENTIALS_ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  backend = await createTestBackend('postgres', {
    env: { FERRY_LOG_LEVEL: 'info' },
    logDestination: logs,
  });
  initProcess = await createTestBackend('postgres', { databaseUrl: backend.databaseUrl! });
  app = await createApp(backend.resources);
  ({ owner, workspaceId } = await ownerWithWorkspace(app, backend.resources));
}, 180_000);

afterAll(async () => {
  await app?.close();
  await initProcess?.close();
  await backend?.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const startSetup = () =>
  owner.call('awsSetup.start', {
    params: { workspaceId },
    body: { region: 'us-east-1', network: { kind: 'new' }, allowedClientCidr: '127.0.0.1/32' },
  });

it('the running server sees the platform another process recorded, without a restart', async () => {
  const before = await startSetup();
  expect(before.status).toBe(409);
  expect(before.body).toMatchObject({ error: { code: 'platform_not_initialized' } });
  // Initialised once, with credentials that are gone by now.
  await savePlatform(initProcess.resources, {
    principalArn: 'arn:aws:iam::111122223333:role/ferry-platform',
    accountId: '111122223333',
    region: 'us-east-1',
    topicArn: 'arn:aws:sns:us-east-1:111122223333:ferry-phone-home',
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/ferry-phone-home',
    queueArn: 'arn:aws:sqs:us-east-1:111122223333:ferry-phone-home',
    subscriptionArn: 'arn:aws:sns:us-east-1:111122223333:ferry-phone-home:1',
    templateBucket: 'ferry-templates-111122223333',
  });
  const after = await startSetup();
  expect(after.body).not.toMatchObject({ error: { code: 'platform_not_initialized' } });
});

it('phone-home reads nothing and logs one line naming the settings, no stack', async () => {
  const { resources } = backend;
  for (let i = 0; i < 3; i++) expect(await consumePhoneHome(resources)).toBe(0);
  const warnings = logs.entries().filter((e) => /AWS credentials/.test(String(e.msg)));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.msg).toMatch(/FERRY_AWS_ACCESS_KEY_ID and FERRY_AWS_SECRET_ACCESS_KEY/);
  expect(logs.text()).not.toMatch(/"stack"|CredentialsProviderError/);
  expect(resources.aws.credentialsCheck.state).toBe('missing');
});

it('/readyz stays ready and names the missing settings', async () => {
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({
    status: 'ready',
    aws: 'missing',
    awsSettings: expect.stringContaining('FERRY_AWS_SECRET_ACCESS_KEY') as unknown,
  });
});

it('a route that calls AWS answers 409 aws_not_configured naming the settings', async () => {
  const res = await startSetup();
  expect(res.status).toBe(409);
  expect(res.body).toMatchObject({
    error: {
      code: 'aws_not_configured',
      message: expect.stringContaining('FERRY_AWS_ACCESS_KEY_ID') as unknown,
    },
  });
  expect(logs.text()).not.toMatch(/"stack"|CredentialsProviderError/);
});
