/** Amazon SQS: queues with policies, messages with visibility timeouts and long polling. */
import type { Cloud, ServiceDefinition } from '../../core/contract.ts';
import { messageHandlers } from './message-handlers.ts';
import { deliverToQueue } from './queue-delivery.ts';
import { queueHandlers } from './queue-handlers.ts';
import { stopWaiting } from './queue-waiters.ts';

/** Creates the SQS service; each instance serves one cloud. */
export function createSqsService(): ServiceDefinition {
  const clouds = new Set<Cloud>();
  return {
    name: 'sqs',
    handlers: { ...queueHandlers, ...messageHandlers },
    start(cloud) {
      clouds.add(cloud);
      return Promise.resolve();
    },
    deliver: deliverToQueue,
    stop() {
      for (const cloud of clouds) stopWaiting(cloud);
      clouds.clear();
      return Promise.resolve();
    },
  };
}
