import { buildTemplate, PERMISSIONS, renderTemplate } from '@ferry/aws-template';
import { describe, expect, it } from 'vitest';
import { diffTemplates } from './stack-update.ts';
import { updateStackCommand, updateStackUrl } from './setup-instructions.ts';

const json = (permissions = PERMISSIONS) =>
  renderTemplate(buildTemplate({ network: 'new', permissions }), 'json');

describe('stack update diff', () => {
  it('lists exactly the permission a newer registry adds, in the IAM table and as text', () => {
    const older = PERMISSIONS.filter(
      (e) => !(e.role === 'UserInitiated' && e.action === 'ec2:DescribeImages'),
    );
    const d = diffTemplates(json(older), json());
    expect(d.iamChanges.added).toEqual([
      { principal: 'AWS:${UserInitiatedRole}', action: 'ec2:DescribeImages' },
    ]);
    expect(d.iamChanges.removed).toEqual([]);
    expect(d.iamChanges.rows[0]).toEqual([
      '',
      'Resource',
      'Effect',
      'Action',
      'Principal',
      'Condition',
    ]);
    expect(d.iamChanges.text).toContain('IAM Statement Changes');
    expect(d.iamChanges.text).toContain('ec2:DescribeImages');
    expect(d.iamChanges.text).not.toContain(String.fromCharCode(27));
    expect(d.resourceChanges).toContainEqual({
      logicalId: 'UserInitiatedPolicy',
      resourceType: 'AWS::IAM::ManagedPolicy',
      change: 'updated',
    });
    // The reverse direction takes it away.
    expect(diffTemplates(json(), json(older)).iamChanges.removed).toEqual([
      { principal: 'AWS:${UserInitiatedRole}', action: 'ec2:DescribeImages' },
    ]);
  });

  it('finds nothing between identical templates', () => {
    const d = diffTemplates(json(), json());
    expect(d.iamChanges.added).toEqual([]);
    expect(d.iamChanges.text).toBe('');
    expect(d.resourceChanges).toEqual([]);
  });

  it('builds the update-stack command and the console link in AWS’s formats', () => {
    const input = {
      endpointUrl: undefined,
      region: 'eu-west-1',
      templateUrl: 'https://bucket.example/t.json?X-Amz-Signature=abc',
      stackName: 'ferry-ws-1',
      stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/ferry-ws-1/abc',
      parameters: [
        { ParameterKey: 'WorkspaceId', ParameterValue: 'ws_1' },
        { ParameterKey: 'WorkerBuckets', ParameterValue: 'a,b' },
      ],
    };
    expect(updateStackCommand(input)).toBe(
      "aws cloudformation update-stack --region eu-west-1 --stack-name 'ferry-ws-1' --template-url 'https://bucket.example/t.json?X-Amz-Signature=abc' --capabilities CAPABILITY_NAMED_IAM --parameters 'ParameterKey=WorkspaceId,UsePreviousValue=true' 'ParameterKey=WorkerBuckets,UsePreviousValue=true'",
    );
    const url = new URL(updateStackUrl(input));
    expect(url.origin).toBe('https://eu-west-1.console.aws.amazon.com');
    expect(url.hash.startsWith('#/stacks/update/template?')).toBe(true);
    const q = new URLSearchParams(url.hash.split('?')[1]);
    expect(q.get('stackId')).toBe(input.stackId);
    expect(q.get('templateURL')).toBe(input.templateUrl);
    expect(updateStackUrl({ ...input, endpointUrl: 'http://127.0.0.1:4566/' })).toMatch(
      /^http:\/\/127\.0\.0\.1:4566\/console\/cloudformation\/home\?region=eu-west-1#\/stacks\/update\/template\?/,
    );
  });
});
