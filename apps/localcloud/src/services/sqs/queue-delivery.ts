/** Messages that AWS services (SNS) send to a queue, authorized by the queue policy alone. */
import type { Cloud } from '../../core/contract.ts';
import { namedResourcePolicy } from '../../core/resource-policy.ts';
import type { DeliveryResult, ServiceDelivery } from '../../core/service-delivery.ts';
import { authorizeServiceRequest } from '../../core/service-principal.ts';
import { enqueue } from './message-handlers.ts';
import { sqsState } from './queue-store.ts';

/** Sends a message to the queue `delivery.targetArn` as the service principal. */
export function deliverToQueue(delivery: ServiceDelivery, cloud: Cloud): DeliveryResult {
  const [, , , region, accountId, name] = delivery.targetArn.split(':');
  if (region === undefined || accountId === undefined || name === undefined) {
    return { ok: false, reason: `invalid queue ARN ${delivery.targetArn}` };
  }
  const queue = sqsState(cloud, accountId, region).queues[name];
  if (queue === undefined)
    return { ok: false, reason: `queue ${delivery.targetArn} does not exist` };
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
