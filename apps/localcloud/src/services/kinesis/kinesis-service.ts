/**
 * The `kinesis` service: core authenticates each request, then hands it raw to the gateway,
 * which authorizes and forwards to kinesalite (started and stopped with localcloud).
 */
import { join } from 'node:path';
import type { ServiceDefinition } from '../../core/contract.ts';
import { createKinesaliteBackend } from './kinesalite-backend.ts';
import { createKinesisGateway } from './kinesis-gateway.ts';
import type { KinesisGateway } from './kinesis-gateway.ts';

export interface KinesisServiceOptions {
  /** localcloud's state directory; streams go to `<stateDir>/kinesis`. In memory when absent. */
  stateDir?: string;
  /** Milliseconds streams spend in CREATING/DELETING/UPDATING (default 50). */
  transitionMs?: number;
}

export function createKinesisService(options: KinesisServiceOptions = {}): ServiceDefinition {
  const backend = createKinesaliteBackend({
    ...(options.stateDir === undefined ? {} : { directory: join(options.stateDir, 'kinesis') }),
    ...(options.transitionMs === undefined ? {} : { transitionMs: options.transitionMs }),
  });
  let gateway: KinesisGateway | undefined;
  return {
    name: 'kinesis',
    async start(cloud) {
      await backend.start();
      gateway = createKinesisGateway({ cloud, backend });
    },
    async stop() {
      gateway = undefined;
      await backend.stop();
    },
    forward(request, call) {
      if (!gateway) return Promise.reject(new Error('kinesis is not started'));
      return gateway.handle(request, call);
    },
  };
}
