/**
 * `ferry workspace aws connect|status|verify|update` end to end on localcloud: connect
 * prints the links (as JSON here), the customer deploys the stack, and `status --wait`
 * follows the stages with elapsed times until the workspace is Active, then prints the
 * verification checks as a table.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { createBufferIo, runCli } from '@ferry/cli';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';

let f: ConnectedWorkspace;
let token: string;

beforeAll(async () => {
  f = await startConnectedWorkspace();
  const created = await f.api('POST', '/api/v1/auth/tokens', {
    name: 'cli',
    scopes: ['org:read', 'workspace:create', 'workspace:read', 'workspace:manage'],
    expiresInDays: 1,
  });
  expect(created.status).toBe(201);
  token = String(created.body.secret);
}, 180_000);

afterAll(async () => {
  await f?.stop();
});

async function ferry(...argv: string[]) {
  const io = createBufferIo();
  const code = await runCli([...argv, '--url', f.controlPlane.url, '--token', token], io, {
    FERRY_CONFIG_DIR: '/nonexistent/ferry',
  });
  expect(io.out() + io.err()).not.toContain(token);
  return { code, out: io.out(), err: io.err() };
}

it('connects a workspace and follows its stages until Active', { timeout: 300_000 }, async () => {
  const ws = await ferry('workspace', 'create', 'eu', '--org', f.orgId, '--json');
  expect(ws.code, ws.err).toBe(0);
  const workspaceId = (JSON.parse(ws.out) as { id: string }).id;
  const region = f.customerConfig().region;

  const connect = await ferry(
    'workspace',
    'aws',
    'connect',
    '--workspace',
    workspaceId,
    '--region',
    region,
    '--allowed-client-cidr',
    '127.0.0.0/8',
    '--no-wait',
    '--json',
  );
  expect(connect.code, connect.err).toBe(0);
  const started = JSON.parse(connect.out) as {
    setupLink: string;
    instructions: {
      stackName: string;
      templateUrl: string;
      quickCreateUrl: string;
      parameters: { ParameterKey: string; ParameterValue: string }[];
    };
  };
  expect(started.setupLink).toMatch(/^http/);
  expect(started.instructions.quickCreateUrl).toContain('stackName=');

  const text = await ferry('workspace', 'aws', 'status', '--workspace', workspaceId);
  expect(text.out).toMatch(/^workspace ws_\S+: AWS pending; workspace \w+\n/);
  expect(text.out).toContain(
    'stages:      Network · → Security · → Policies · → Deploying · → Connected ·',
  );

  const cfn = new CloudFormationClient(f.customerConfig());
  try {
    await cfn.send(
      new CreateStackCommand({
        StackName: started.instructions.stackName,
        TemplateURL: started.instructions.templateUrl,
        Parameters: started.instructions.parameters,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
  } finally {
    cfn.destroy();
  }

  const followed = await ferry(
    'workspace',
    'aws',
    'status',
    '--workspace',
    workspaceId,
    '--wait',
    '--timeout',
    '240',
  );
  expect(followed.err).toBe('');
  expect(followed.code).toBe(0);
  const stages = [...followed.out.matchAll(/\[\s*(\d+:\d\d)\] (\w+) ✓/g)].map((m) => m[2]);
  expect(stages).toEqual(['Network', 'Security', 'Policies', 'Deploying', 'Connected']);
  expect(followed.out).toMatch(/\] active\n/);
  expect(followed.out).toMatch(/\nCHECK\s+ROLE\s+RESULT\s+DETAIL\n/);
  expect(followed.out).not.toMatch(/\bfail\b/);
  expect(followed.out).toContain(`workspace ${workspaceId} is connected and Active`);

  const verified = await ferry('workspace', 'aws', 'verify', '--workspace', workspaceId, '--json');
  expect(verified.code, verified.err).toBe(0);
  expect((JSON.parse(verified.out) as { status: string }).status).toBe('active');
  const update = await ferry('workspace', 'aws', 'update', '--workspace', workspaceId);
  expect(update.code, update.err).toBe(0);
  expect(update.out).toMatch(/is up to date|→/);
});
