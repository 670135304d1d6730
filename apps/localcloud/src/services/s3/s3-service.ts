/**
 * The `s3` service: core authenticates each request, then hands it raw to the gateway, which
 * authorizes and forwards to s3rver (started and stopped with localcloud).
 */
import { join } from 'node:path';
import type { ServiceDefinition } from '../../core/contract.ts';
import { createBucketRegistry } from './bucket-registry.ts';
import { createS3Gateway } from './s3-gateway.ts';
import type { S3Gateway } from './s3-gateway.ts';
import { createS3rverBackend } from './s3rver-backend.ts';
import type { S3rverBackend } from './s3rver-backend.ts';

export interface S3ServiceOptions {
  /** Where objects live (`<dir>/s3`); defaults to the cloud's state directory, else a temp dir. */
  stateDir?: string;
}

export function createS3Service(options: S3ServiceOptions = {}): ServiceDefinition {
  let backend: S3rverBackend | undefined;
  let gateway: S3Gateway | undefined;
  return {
    name: 's3',
    async start(cloud) {
      const stateDir = options.stateDir ?? cloud.stateDir;
      backend = createS3rverBackend(
        stateDir === undefined ? {} : { directory: join(stateDir, 's3') },
      );
      await backend.start();
      const registry = createBucketRegistry(cloud);
      // Buckets known from persisted state must exist in s3rver too (e.g. when objects were not
      // persisted): recreate them empty rather than answer NoSuchBucket for a listed bucket.
      await backend.ensureBuckets(registry.all().map((bucket) => bucket.name));
      gateway = createS3Gateway({ cloud, registry, backend });
    },
    async stop() {
      gateway = undefined;
      await backend?.stop();
      backend = undefined;
    },
    forward(request, call) {
      if (!gateway) return Promise.reject(new Error('s3 is not started'));
      return gateway.handle(request, call);
    },
  };
}
