/** Messages that AWS services (SNS) send to a queue, authorized by the queue policy alone. */
import type { Cloud } from '../../core/contract.ts';
import { enqueue } from './message-handlers.ts';
import type { OutgoingMessage } from './message-handlers.ts';
import { sqsState } from './queue-store.ts';
import { namedResourcePolicy } from './resource-policy.ts';
import { authorizeServiceRequest } from './service-principal.ts';

export interface ServiceDelivery {
  queueArn: string;
  /** The sending service principal, e.g. `sns.amazonaws.com`. */
  service: string;
  sourceArn: string;
  sourceAccount: string;
  body: string;
  attributes?: OutgoingMessage['attributes'];
  groupId?: string;
  deduplicationId?: string;
}

export type DeliveryResult = { ok: true; messageId: string } | { ok: false; reason: string };

/** Sends a message as the service principal; never throws for AWS-side failures. */
export function deliverAsService(cloud: Cloud, delivery: ServiceDelivery): DeliveryResult {
  const [, , , region, accountId, name] = delivery.queueArn.split(':');
  if (region === undefined || accountId === undefined || name === undefined) {
    return { ok: false, reason: `invalid queue ARN ${delivery.queueArn}` };
  }
  const queue = sqsState(cloud, accountId, region).queues[name];
  if (queue === undefined)
    return { ok: false, reason: `queue ${delivery.queueArn} does not exist` };
  const decision = authorizeServiceRequest({
    service: delivery.service,
    action: 'sqs:SendMessage',
    resource: queue.arn,
    resourceAccount: queue.accountId,
    resourcePolicy: namedResourcePolicy('queue-policy', queue.attributes.Policy),
    sourceArn: delivery.sourceArn,
    sourceAccount: delivery.sourceAccount,
  });
  if (decision.decision !== 'Allowed') {
    cloud.log.info('service delivery denied by the queue policy', {
      queue: queue.arn,
      service: delivery.service,
      source: delivery.sourceArn,
      reason: decision.reason,
    });
    return { ok: false, reason: decision.reason };
  }
  try {
    const result = enqueue(cloud, queue, {
      body: delivery.body,
      attributes: delivery.attributes ?? {},
      senderId: delivery.service,
      ...(delivery.groupId === undefined ? {} : { groupId: delivery.groupId }),
      ...(delivery.deduplicationId === undefined
        ? {}
        : { deduplicationId: delivery.deduplicationId }),
    });
    return { ok: true, messageId: String(result.MessageId) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
