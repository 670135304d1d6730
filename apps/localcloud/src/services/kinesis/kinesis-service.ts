/**
 * The `kinesis` service: core authenticates each request, then hands it raw to the gateway,
 * which authorizes and forwards to kinesalite (started and stopped with localcloud).
 */
import { join } from 'node:path';
import type { ServiceDefinition } from '../../core/contract.ts';
import { createKinesaliteBackend } from './kinesalite-backend.ts';
import type { KinesaliteBackend } from './kinesalite-backend.ts';
import { createKinesisGateway } from './kinesis-gateway.ts';
import type { KinesisGateway } from './kinesis-gateway.ts';

export interface KinesisServiceOptions {
  /** Where streams live (`<dir>/kinesis`); defaults to the cloud's state directory, else memory. */
  stateDir?: string;
  /** Milliseconds streams spend in CREATING/DELETING/UPDATING (default 50). */
  transitionMs?: number;
}

export function createKinesisService(options: KinesisServiceOptions = {}): ServiceDefinition {
  let backend: KinesaliteBackend | undefined;
  let gateway: KinesisGateway | undefined;
  return {
    name: 'kinesis',
    async start(cloud) {
      const stateDir = options.stateDir ?? cloud.stateDir;
      const transitionMs = options.transitionMs;
      backend = createKinesaliteBackend({
        ...(stateDir === undefined ? {} : { directory: join(stateDir, 'kinesis') }),
        ...(transitionMs === undefined ? {} : { transitionMs }),
      });
      await backend.start();
      gateway = createKinesisGateway({ cloud, backend });
    },
    async stop() {
      gateway = undefined;
      await backend?.stop();
      backend = undefined;
    },
    forward(request, call) {
      if (!gateway) return Promise.reject(new Error('kinesis is not started'));
      return gateway.handle(request, call);
    },
  };
}
