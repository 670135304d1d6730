import { describe, expect, it } from 'vitest';
import { checkParameterValues, TemplateParameterError } from './parameter-check.ts';
import { DEMO_PARAMETERS } from './sample-stack.ts';

describe('checkParameterValues', () => {
  it('accepts the demo workspace’s values', () => {
    expect(() =>
      checkParameterValues({ ...DEMO_PARAMETERS, WorkerBuckets: 'a-bucket,b.bucket' }),
    ).not.toThrow();
  });

  it.each([
    ['ExternalId', 'has spaces in it'],
    ['WorkspaceId', 'ws/evil'],
    ['PlatformPrincipalArn', 'arn:aws:s3:::bucket'],
    ['PhoneHomeTopicArn', 'arn:aws:sqs:us-east-1:123456789012:q'],
    ['AllowedClientCidr', '10.0.0.0/33'],
    ['WorkerBuckets', 'good-bucket,Bad_Bucket'],
  ] as const)('names the field of a bad %s', (field, value) => {
    let error: unknown;
    try {
      checkParameterValues({ [field]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateParameterError);
    expect((error as TemplateParameterError).field).toBe(field);
    expect((error as Error).message).toMatch(new RegExp(`^${field}: `));
  });
});
