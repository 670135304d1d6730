/** Amazon SNS: topics with policies, SQS subscriptions, publishing (also as AWS services). */
import type { ServiceDefinition } from '../../core/contract.ts';
import { signingCertRoute } from './message-signer.ts';
import { publishHandlers } from './publish.ts';
import {
  confirmSubscriptionRoute,
  subscriptionHandlers,
  unsubscribeRoute,
} from './subscription-handlers.ts';
import { topicHandlers } from './topic-handlers.ts';

/** Creates the SNS service. */
export function createSnsService(): ServiceDefinition {
  return {
    name: 'sns',
    handlers: { ...topicHandlers, ...subscriptionHandlers, ...publishHandlers },
    routes: [signingCertRoute, confirmSubscriptionRoute, unsubscribeRoute],
  };
}

export { publishAsService } from './publish.ts';
export type { ServicePublishResult } from './publish.ts';
