/** Authorization of SNS requests: SNS denies with `AuthorizationError`, not `AccessDenied`. */
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud } from '../../core/contract.ts';
import { namedResourcePolicy } from '../../core/resource-policy.ts';
import type { Topic } from './topic-store.ts';

/** Authorizes `action` on `resource` (with the topic policy when a topic is given). */
export function authorizeSns(
  cloud: Cloud,
  call: Call,
  action: string,
  resource: string,
  topic?: Topic,
): void {
  try {
    cloud.authorize(call, action, resource, {
      ...(topic === undefined
        ? {}
        : {
            resourcePolicy: namedResourcePolicy('topic-policy', topic.attributes.Policy),
            resourceAccount: topic.accountId,
          }),
    });
  } catch (error) {
    if (error instanceof AwsError && error.code === 'AccessDenied') {
      throw new AwsError('AuthorizationError', error.message, 403);
    }
    throw error;
  }
}

/** Authorizes `action` on the topic, with its policy. */
export function authorizeTopic(cloud: Cloud, call: Call, action: string, topic: Topic): void {
  authorizeSns(cloud, call, action, topic.arn, topic);
}
