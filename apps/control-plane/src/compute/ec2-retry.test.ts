import { describe, expect, it } from 'vitest';
import { allPages, describeAwsError, retryEc2, type CallCounter } from './ec2-retry.ts';

/** An error shaped as the AWS SDK throws them (name = AWS code, HTTP status in $metadata). */
function awsError(code: string, status: number): Error {
  return Object.assign(new Error(`${code} happened`), {
    name: code,
    $metadata: { httpStatusCode: status },
  });
}

const fast = { baseMs: 1, capMs: 2, maxRetries: 3 };

describe('retryEc2', () => {
  it('retries throttling and 5xx answers, counting every call sent', async () => {
    const counter: CallCounter = { calls: 0 };
    const answers = [awsError('RequestLimitExceeded', 503), awsError('InternalError', 500)];
    const out = await retryEc2(
      () => {
        const next = answers.shift();
        return next ? Promise.reject(next) : Promise.resolve('ok');
      },
      { counter, policy: fast },
    );
    expect(out).toBe('ok');
    expect(counter.calls).toBe(3);
  });

  it('gives up after the policy retries, with the last error', async () => {
    const counter: CallCounter = { calls: 0 };
    await expect(
      retryEc2(() => Promise.reject(awsError('RequestLimitExceeded', 503)), {
        counter,
        policy: fast,
      }),
    ).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(counter.calls).toBe(4);
  });

  it('does not retry capacity or fatal errors', async () => {
    for (const [code, status] of [
      ['InsufficientInstanceCapacity', 500],
      ['UnauthorizedOperation', 403],
    ] as const) {
      const counter: CallCounter = { calls: 0 };
      await expect(
        retryEc2(() => Promise.reject(awsError(code, status)), { counter, policy: fast }),
      ).rejects.toMatchObject({ name: code });
      expect(counter.calls).toBe(1);
    }
    expect(describeAwsError(awsError('InsufficientInstanceCapacity', 500)).kind).toBe('capacity');
    expect(describeAwsError(awsError('Oops', 502)).kind).toBe('throttle');
  });
});

describe('allPages', () => {
  it('follows NextToken until EC2 stops sending one', async () => {
    const pages: Record<string, { Items: number[]; NextToken?: string }> = {
      '': { Items: [1, 2], NextToken: 'b' },
      b: { Items: [3], NextToken: 'c' },
      c: { Items: [], NextToken: '' },
    };
    const seen: (string | undefined)[] = [];
    const items = await allPages(
      (token) => {
        seen.push(token);
        return Promise.resolve(pages[token ?? ''] ?? { Items: [] });
      },
      (p) => p.Items,
    );
    expect(items).toEqual([1, 2, 3]);
    expect(seen).toEqual([undefined, 'b', 'c']);
  });
});
