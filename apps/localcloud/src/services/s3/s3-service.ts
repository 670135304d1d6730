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

export interface S3ServiceOptions {
  /** localcloud's state directory; objects go to `<stateDir>/s3`. In a temp dir when absent. */
  stateDir?: string;
}

export function createS3Service(options: S3ServiceOptions = {}): ServiceDefinition {
  const backend = createS3rverBackend(
    options.stateDir === undefined ? {} : { directory: join(options.stateDir, 's3') },
  );
  let gateway: S3Gateway | undefined;
  return {
    name: 's3',
    async start(cloud) {
      await backend.start();
      gateway = createS3Gateway({ cloud, registry: createBucketRegistry(cloud), backend });
    },
    async stop() {
      gateway = undefined;
      await backend.stop();
    },
    forward(request, call) {
      if (!gateway) return Promise.reject(new Error('s3 is not started'));
      return gateway.handle(request, call);
    },
  };
}
