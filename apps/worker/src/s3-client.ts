/**
 * The worker's S3 clients: one client per set of credentials, which asks its provider again
 * as they near their expiry (the SDK's own refresh), instead of a new client per call. The
 * provider is the Worker role's (instance metadata) or a connection's session from the
 * control plane, renewed by the control plane before it ends.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { RoleCredentials, S3Access } from './query/cloud-options.ts';

/** An S3 client signing with whatever `credentials` gives at the time. */
export function createS3Client(
  access: S3Access,
  credentials: () => Promise<RoleCredentials>,
): S3Client {
  return new S3Client({
    region: access.region,
    // A custom endpoint is addressed path-style, like any S3-compatible endpoint.
    ...(access.endpoint === undefined ? {} : { endpoint: access.endpoint, forcePathStyle: true }),
    credentials: async () => {
      const c = await credentials();
      return {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
        ...(c.expiration === undefined ? {} : { expiration: new Date(c.expiration) }),
      };
    },
  });
}
