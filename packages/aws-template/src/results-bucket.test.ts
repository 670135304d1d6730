import { describe, expect, it } from 'vitest';
import { resultsBucketName } from './results-bucket.ts';

describe('resultsBucketName', () => {
  it('is a valid S3 bucket name from the account and workspace', () => {
    const name = resultsBucketName('123456789012', 'ws_01jd0000000000000000000000');
    expect(name).toBe('ferry-123456789012-ws-01jd0000000000000000000000-results');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });
  it('refuses what cannot name a bucket', () => {
    expect(() => resultsBucketName('12', 'ws_x')).toThrow(/accountId/);
    expect(() => resultsBucketName('123456789012', 'ws_X!')).toThrow(/workspaceId/);
  });
});
