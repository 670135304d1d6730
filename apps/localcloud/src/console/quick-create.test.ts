import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloudHarness } from '../testing/index.ts';
import type { LocalCloudHarness, TestAccount } from '../testing/index.ts';

let cloud: LocalCloudHarness;
let account: TestAccount;
let templateURL: string;

const template = JSON.stringify({
  Description: 'quick-create test',
  Parameters: {
    QueueLabel: { Type: 'String', Description: 'names the queue' },
    Token: { Type: 'String', NoEcho: true, Default: 'x' },
    Size: { Type: 'String', AllowedValues: ['small', 'large'], Default: 'small' },
  },
  Resources: {
    Queue: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: { 'Fn::Sub': 'qc-${QueueLabel}-${Size}' } },
    },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: 'quick-create-role',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'ec2.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
      },
    },
  },
});

beforeAll(async () => {
  cloud = await startLocalCloudHarness();
  await cloud.admin('POST', '/_localcloud/cloudformation/settings', { resourceDelayMs: 10 });
  account = await cloud.createAccount('console');
  const s3 = new S3Client(cloud.clientConfig(account));
  await s3.send(new CreateBucketCommand({ Bucket: 'templates-console' }));
  await s3.send(
    new PutObjectCommand({ Bucket: 'templates-console', Key: 'stack.json', Body: template }),
  );
  s3.destroy();
  templateURL = `${cloud.url}/templates-console/stack.json`;
});

afterAll(async () => {
  await cloud.stop();
});

async function api(
  operation: string,
  body: Record<string, unknown>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${cloud.url}/console/cloudformation/api/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('the quick-create console page', () => {
  it('serves the review page with the link’s stack name, parameters and the IAM acknowledgement', async () => {
    const url = `${cloud.url}/console/cloudformation/quickcreate?templateURL=${encodeURIComponent(templateURL)}&stackName=from-link&param_QueueLabel=${encodeURIComponent('</script><b>')}`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain(
      'I acknowledge that AWS CloudFormation might create IAM resources with custom names.',
    );
    expect(html).toContain('id="create"');
    expect(html).toContain('"stackName":"from-link"');
    // Query values cannot break out of the embedded JSON.
    expect(html).not.toContain('</script><b>');
    expect(html).toContain('\\u003c/script\\u003e\\u003cb\\u003e');
    // The page's script compiles (a syntax error would leave a dead page).
    const script = /<script>\n([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(script).toContain("api('create'");
    expect(() => new Script(script)).not.toThrow();
    // AWS's link format (parameters in the fragment) is served too.
    const home = await fetch(`${cloud.url}/console/cloudformation/home?region=us-east-1`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('#/stacks/quickcreate?');
    const missing = await fetch(`${cloud.url}/console/cloudformation/quickcreate?stackName=x`);
    expect(missing.status).toBe(400);
  });

  it('creates the stack the form submits, as the account whose keys it holds, and reports progress', async () => {
    const creds = {
      accessKeyId: account.accessKeyId,
      secretAccessKey: account.secretAccessKey,
      region: 'us-east-1',
    };
    const wrong = await api('summary', {
      ...creds,
      secretAccessKey: 'not-the-secret',
      templateURL,
    });
    expect(wrong.status).toBe(403);
    const summary = await api('summary', { ...creds, templateURL });
    expect(summary.status).toBe(200);
    expect(summary.json.Capabilities).toEqual(['CAPABILITY_NAMED_IAM']);
    expect(
      (summary.json.Parameters as { ParameterKey: string; NoEcho: boolean }[]).find(
        (p) => p.ParameterKey === 'Token',
      )?.NoEcho,
    ).toBe(true);
    const parameters = [
      { ParameterKey: 'QueueLabel', ParameterValue: 'demo' },
      { ParameterKey: 'Token', ParameterValue: 'secret-token' },
      { ParameterKey: 'Size', ParameterValue: 'large' },
    ];
    const refused = await api('create', {
      ...creds,
      stackName: 'from-form',
      templateURL,
      parameters,
      capabilities: [],
    });
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('InsufficientCapabilitiesException');
    const created = await api('create', {
      ...creds,
      stackName: 'from-form',
      templateURL,
      parameters,
      capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    expect(created.status).toBe(200);
    const stackId = String(created.json.StackId);
    let status = '';
    for (let i = 0; i < 200 && !/_COMPLETE$|_FAILED$/.test(status); i++) {
      const stack = await api('stack', { ...creds, stackName: stackId });
      status = String((stack.json.Stacks as { StackStatus: string }[])[0]?.StackStatus);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('CREATE_COMPLETE');
    const events = await api('events', { ...creds, stackName: stackId });
    expect((events.json.StackEvents as unknown[]).length).toBeGreaterThan(3);
    const cfn = new CloudFormationClient(cloud.clientConfig(account));
    const described = await cfn.send(new DescribeStacksCommand({ StackName: 'from-form' }));
    expect(described.Stacks?.[0]?.Parameters).toContainEqual({
      ParameterKey: 'Token',
      ParameterValue: '****',
    });
    cfn.destroy();
  });
});
