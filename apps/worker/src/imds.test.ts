import { describe, expect, it } from 'vitest';
import { DEFAULT_IMDS_ENDPOINT, imdsEndpoint, readInstanceIdentity } from './imds.ts';

// The IMDSv2 exchange itself is proven against localcloud's instance metadata service in
// test/e2e/worker-on-localcloud.test.ts; these cover where the agent looks and failure.
describe('instance metadata', () => {
  it("uses the SDKs' endpoint variable, else EC2's link-local address", () => {
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.1.7:41234/' })).toBe(
      'http://127.0.1.7:41234',
    );
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: ' ' })).toBe(DEFAULT_IMDS_ENDPOINT);
    expect(imdsEndpoint({})).toBe('http://169.254.169.254');
  });

  it('gives up with a message naming the endpoint when nothing answers', async () => {
    await expect(
      readInstanceIdentity({ endpoint: 'http://127.0.0.1:9', attempts: 2, retryDelayMs: 10 }),
    ).rejects.toThrow(
      /instance metadata \/latest\/api\/token unavailable at http:\/\/127\.0\.0\.1:9/,
    );
  });
});
