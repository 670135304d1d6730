import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.ts';
import { explainDecision } from './explain.ts';
import { parsePolicy } from './parse-policy.ts';
import type { EvaluationRequest, NamedPolicy } from './types.ts';

function policy(name: string, doc: unknown): NamedPolicy {
  const r = parsePolicy(doc, 'identity');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { name, document: r.policy };
}

const worker = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Worker/i-0abc',
  principalArn: 'arn:aws:iam::111122223333:role/Worker',
  accountId: '111122223333',
};
const instance = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0abc';

const workerPolicy = policy('inline:Worker', {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Describe', Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' },
    {
      Sid: 'TerminateTagged',
      Effect: 'Allow',
      Action: 'ec2:TerminateInstances',
      Resource: 'arn:aws:ec2:*:*:instance/*',
      Condition: { StringEquals: { 'aws:ResourceTag/ferry': 'true' } },
    },
    { Sid: 'NoIam', Effect: 'Deny', Action: 'iam:*', Resource: '*' },
  ],
});

const request = (over: Partial<EvaluationRequest>): EvaluationRequest => ({
  principal: worker,
  action: 'ec2:TerminateInstances',
  resource: instance,
  context: {},
  identityPolicies: [workerPolicy],
  ...over,
});

describe('explainDecision', () => {
  it('explains an implicit denial with the closest statement and why it missed', () => {
    const r = request({ context: { 'aws:ResourceTag/ferry': 'false' } });
    expect(explainDecision(evaluate(r), r)).toBe(
      [
        `ec2:TerminateInstances on ${instance} was implicitly denied: no statement in [inline:Worker] allows it`,
        'Closest statements:',
        `  - statement 'TerminateTagged' (index 1) of policy inline:Worker allows the action but its condition StringEquals on "aws:ResourceTag/ferry" is not met (the request has "false")`,
      ].join('\n'),
    );
    const untagged = request({});
    expect(explainDecision(evaluate(untagged), untagged)).toContain(
      'is not met (the request does not carry the key)',
    );
  });

  it('names the deciding Deny statement', () => {
    const r = request({
      action: 'iam:PassRole',
      resource: 'arn:aws:iam::111122223333:role/Worker',
    });
    expect(explainDecision(evaluate(r), r)).toBe(
      [
        "iam:PassRole on arn:aws:iam::111122223333:role/Worker was explicitly denied by statement 'NoIam' (index 2) of identity policy inline:Worker",
        'Denied by:',
        "  - Deny statement 'NoIam' (index 2) of policy inline:Worker (identity policy)",
      ].join('\n'),
    );
  });

  it('lists the statements that allowed', () => {
    const r = request({ action: 'ec2:DescribeInstances', resource: '*' });
    expect(explainDecision(evaluate(r), r)).toBe(
      [
        'ec2:DescribeInstances on * was allowed by the identity policies',
        'Allowed by:',
        "  - Allow statement 'Describe' (index 0) of policy inline:Worker (identity policy)",
      ].join('\n'),
    );
  });

  it('points at a resource mismatch', () => {
    const r = request({ resource: 'arn:aws:ec2:us-east-1:111122223333:volume/vol-1' });
    expect(explainDecision(evaluate(r), r)).toContain(
      "statement 'TerminateTagged' (index 1) of policy inline:Worker allows the action but not on arn:aws:ec2:us-east-1:111122223333:volume/vol-1",
    );
  });
});
