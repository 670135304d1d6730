/**
 * A control plane without AWS credentials: it starts, says so once in its log and in
 * `/readyz`, answers its AWS routes with 409 naming the settings, and its every-2-s
 * phone-home job neither fails nor logs a stack trace.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { ownerWithWorkspace } from '../compute/cluster-fixture.ts';
import type { TestCaller } from '../routes/api-test-kit.ts';
import { createTestBackend, type TestBackend } from '../testing/backends.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { awsDb } from './aws-db.ts';
import { consumePhoneHome } from './aws-setup-jobs.ts';
import { awsServices } from './aws-services.ts';

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
let app: FastifyInstance;
let owner: TestCaller;
let workspaceId: string;

beforeAll(async () => {
  for (const [k, v] of Object.entries(NO_CREDENTIALS_ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  backend = await createTestBackend('pglite', {
    env: { FERRY_LOG_LEVEL: 'info' },
    logDestination: logs,
  });
  const { resources } = backend;
  // The platform was initialised once (with credentials that are gone now).
  await awsDb(resources.db)
    .insertInto('aws_platform')
    .values({
      id: 'default',
      principal_arn: 'arn:aws:iam::111122223333:role/ferry-platform',
      account_id: '111122223333',
      region: 'us-east-1',
      topic_arn: 'arn:aws:sns:us-east-1:111122223333:ferry-phone-home',
      queue_url: 'https://sqs.us-east-1.amazonaws.com/111122223333/ferry-phone-home',
      queue_arn: 'arn:aws:sqs:us-east-1:111122223333:ferry-phone-home',
      subscription_arn: 'arn:aws:sns:us-east-1:111122223333:ferry-phone-home:1',
      template_bucket: 'ferry-templates-111122223333',
      updated_at: resources.clock.now(),
    })
    .execute();
  app = await createApp(resources);
  ({ owner, workspaceId } = await ownerWithWorkspace(app, resources));
}, 180_000);

afterAll(async () => {
  await app?.close();
  await backend?.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

it('phone-home reads nothing and logs one line naming the settings, no stack', async () => {
  const { resources } = backend;
  for (let i = 0; i < 3; i++) expect(await consumePhoneHome(resources)).toBe(0);
  const warnings = logs.entries().filter((e) => /AWS credentials/.test(String(e.msg)));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.msg).toMatch(/FERRY_AWS_ACCESS_KEY_ID and FERRY_AWS_SECRET_ACCESS_KEY/);
  expect(logs.text()).not.toMatch(/"stack"|CredentialsProviderError/);
  expect(awsServices(resources).credentialsCheck.state).toBe('missing');
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
  const res = await owner.call('awsSetup.start', {
    params: { workspaceId },
    body: { region: 'us-east-1', network: { kind: 'new' }, allowedClientCidr: '127.0.0.1/32' },
  });
  expect(res.status).toBe(409);
  expect(res.body).toMatchObject({
    error: {
      code: 'aws_not_configured',
      message: expect.stringContaining('FERRY_AWS_ACCESS_KEY_ID') as unknown,
    },
  });
  expect(logs.text()).not.toMatch(/"stack"|CredentialsProviderError/);
});
