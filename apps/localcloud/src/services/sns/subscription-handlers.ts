/**
 * SNS subscriptions (protocol `sqs`): subscribe, confirm, unsubscribe, list, attributes.
 * A subscription to a queue of another account than the subscriber's waits for
 * confirmation: SNS sends a SubscriptionConfirmation to the queue, as AWS does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from '../../core/contract.ts';
import type { Cloud, Handler, Route } from '../../core/contract.ts';
import { text } from '../../core/input-values.ts';
import { filterPolicyProblem } from './filter-policy.ts';
import { signEnvelope } from './message-signer.ts';
import { authorizeSns, authorizeTopic } from './topic-authorize.ts';
import { page } from './topic-handlers.ts';
import { findSubscription, findTopic, invalidParameter } from './topic-store.ts';
import type { Subscription, Topic } from './topic-store.ts';

const SUBSCRIPTION_ATTRIBUTES = new Set([
  'RawMessageDelivery',
  'FilterPolicy',
  'FilterPolicyScope',
  'DeliveryPolicy',
  'RedrivePolicy',
  'SubscriptionRoleArn',
  'ReplayPolicy',
]);

function checkSubscriptionAttribute(name: string, value: string): string {
  if (!SUBSCRIPTION_ATTRIBUTES.has(name)) throw invalidParameter(`AttributeName`);
  if (name === 'RawMessageDelivery') {
    if (!/^(true|false)$/i.test(value))
      throw invalidParameter('RawMessageDelivery: Invalid value [' + value + '].');
    return value.toLowerCase();
  }
  if (name === 'FilterPolicy' && value !== '') {
    const problem = filterPolicyProblem(value);
    if (problem !== undefined) throw invalidParameter(problem);
  }
  if (name === 'FilterPolicyScope' && value !== 'MessageAttributes') {
    throw invalidParameter('FilterPolicyScope: only MessageAttributes is supported here');
  }
  return value;
}

function sqsArnParts(
  endpoint: string,
): { region: string; accountId: string; name: string } | undefined {
  const [arn, partition, service, region, accountId, name, ...rest] = endpoint.split(':');
  if (
    arn !== 'arn' ||
    !partition?.startsWith('aws') ||
    service !== 'sqs' ||
    !region ||
    !accountId ||
    !/^\d{12}$/.test(accountId) ||
    !name ||
    rest.length > 0
  ) {
    return undefined;
  }
  return { region, accountId, name };
}

function confirmationUrl(cloud: Cloud, topic: Topic, token: string): string {
  return `${cloud.baseUrl}/_localcloud/sns/confirm-subscription?TopicArn=${encodeURIComponent(topic.arn)}&Token=${token}`;
}

function sendConfirmation(
  cloud: Cloud,
  topic: Topic,
  subscription: Subscription,
  token: string,
): void {
  const body: Record<string, string> = {
    Type: 'SubscriptionConfirmation',
    MessageId: randomUUID(),
    Token: token,
    TopicArn: topic.arn,
    Message: `You have chosen to subscribe to the topic ${topic.arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: confirmationUrl(cloud, topic, token),
    Timestamp: new Date(cloud.now()).toISOString(),
  };
  signEnvelope(cloud, body, '1');
  const result = cloud.deliver({
    targetArn: subscription.endpoint,
    service: 'sns.amazonaws.com',
    sourceArn: topic.arn,
    sourceAccount: topic.accountId,
    body: JSON.stringify(body, null, 2),
  });
  if (!result.ok)
    cloud.log.warn('SNS subscription confirmation not delivered', {
      subscription: subscription.arn,
      reason: result.reason,
    });
}

const subscribe: Handler = (call, cloud) => {
  const topic = findTopic(cloud, call.input.TopicArn);
  authorizeTopic(cloud, call, 'sns:Subscribe', topic);
  const protocol = text(call.input.Protocol);
  if (protocol !== 'sqs') {
    throw invalidParameter(
      `Protocol: ${protocol === '' ? 'missing' : `${protocol} is not supported here (only sqs)`}`,
    );
  }
  const endpoint = text(call.input.Endpoint);
  const queue = sqsArnParts(endpoint);
  if (queue === undefined) throw invalidParameter('SQS endpoint ARN');
  const attributes: Record<string, string> = {};
  for (const [key, raw] of Object.entries(
    (call.input.Attributes ?? {}) as Record<string, unknown>,
  )) {
    attributes[key] = checkSubscriptionAttribute(key, text(raw));
  }
  if (topic.name.endsWith('.fifo') !== queue.name.endsWith('.fifo')) {
    throw invalidParameter(
      'Invalid parameter: Endpoint Reason: FIFO SNS topics can only deliver to FIFO SQS queues, and standard topics to standard queues',
    );
  }
  const existing = Object.values(topic.subscriptions).find(
    (s) => s.protocol === protocol && s.endpoint === endpoint,
  );
  if (existing !== undefined) {
    for (const [key, value] of Object.entries(attributes)) {
      if (existing.attributes[key] !== value)
        throw invalidParameter(
          'Attributes Reason: Subscription already exists with different attributes',
        );
    }
    const pending =
      existing.pendingToken !== undefined && call.input.ReturnSubscriptionArn !== true;
    return Promise.resolve({ SubscriptionArn: pending ? 'pending confirmation' : existing.arn });
  }
  const subscription: Subscription = {
    arn: `${topic.arn}:${randomUUID()}`,
    topicArn: topic.arn,
    protocol,
    endpoint,
    owner: call.caller.accountId,
    attributes,
  };
  // Subscribing a queue of one's own account needs no confirmation.
  if (queue.accountId !== call.caller.accountId)
    subscription.pendingToken = randomBytes(32).toString('hex');
  topic.subscriptions[subscription.arn] = subscription;
  if (subscription.pendingToken !== undefined) {
    sendConfirmation(cloud, topic, subscription, subscription.pendingToken);
    if (call.input.ReturnSubscriptionArn !== true)
      return Promise.resolve({ SubscriptionArn: 'pending confirmation' });
  }
  return Promise.resolve({ SubscriptionArn: subscription.arn });
};

function confirm(topic: Topic, token: string): Subscription {
  const subscription = Object.values(topic.subscriptions).find(
    (s) => s.pendingToken !== undefined && s.pendingToken === token,
  );
  if (subscription === undefined) throw invalidParameter('Token');
  delete subscription.pendingToken;
  return subscription;
}

const confirmSubscription: Handler = (call, cloud) => {
  const topic = findTopic(cloud, call.input.TopicArn);
  authorizeTopic(cloud, call, 'sns:ConfirmSubscription', topic);
  return Promise.resolve({ SubscriptionArn: confirm(topic, text(call.input.Token)).arn });
};

const unsubscribe: Handler = (call, cloud) => {
  const { topic, subscription } = findSubscription(cloud, call.input.SubscriptionArn);
  // The subscriber or the topic owner may unsubscribe.
  if (subscription.owner === call.caller.accountId)
    authorizeSns(cloud, call, 'sns:Unsubscribe', subscription.arn);
  else authorizeTopic(cloud, call, 'sns:Unsubscribe', topic);
  delete topic.subscriptions[subscription.arn];
  topic.subscriptionsDeleted += 1;
  return Promise.resolve({});
};

function describe(s: Subscription): Record<string, string> {
  return {
    SubscriptionArn: s.pendingToken === undefined ? s.arn : 'PendingConfirmation',
    Owner: s.owner,
    Protocol: s.protocol,
    Endpoint: s.endpoint,
    TopicArn: s.topicArn,
  };
}

const listSubscriptions: Handler = (call, cloud) => {
  authorizeSns(cloud, call, 'sns:ListSubscriptions', '*');
  const all: Subscription[] = [];
  for (const entry of cloud.stateEntries('sns')) {
    if (entry.region !== call.region) continue;
    for (const topic of Object.values((entry.state as { topics: Record<string, Topic> }).topics)) {
      for (const s of Object.values(topic.subscriptions))
        if (s.owner === call.caller.accountId) all.push(s);
    }
  }
  all.sort((a, b) => a.arn.localeCompare(b.arn));
  const { items: list, NextToken } = page(all, call.input.NextToken);
  return Promise.resolve({
    Subscriptions: list.map(describe),
    ...(NextToken ? { NextToken } : {}),
  });
};

const listSubscriptionsByTopic: Handler = (call, cloud) => {
  const topic = findTopic(cloud, call.input.TopicArn);
  authorizeTopic(cloud, call, 'sns:ListSubscriptionsByTopic', topic);
  const all = Object.values(topic.subscriptions).sort((a, b) => a.arn.localeCompare(b.arn));
  const { items: list, NextToken } = page(all, call.input.NextToken);
  return Promise.resolve({
    Subscriptions: list.map(describe),
    ...(NextToken ? { NextToken } : {}),
  });
};

const getSubscriptionAttributes: Handler = (call, cloud) => {
  const { topic, subscription } = findSubscription(cloud, call.input.SubscriptionArn);
  if (subscription.owner === call.caller.accountId)
    authorizeSns(cloud, call, 'sns:GetSubscriptionAttributes', subscription.arn);
  else authorizeTopic(cloud, call, 'sns:GetSubscriptionAttributes', topic);
  return Promise.resolve({
    Attributes: {
      RawMessageDelivery: 'false',
      ...subscription.attributes,
      SubscriptionArn: subscription.arn,
      TopicArn: topic.arn,
      Owner: subscription.owner,
      Protocol: subscription.protocol,
      Endpoint: subscription.endpoint,
      PendingConfirmation: String(subscription.pendingToken !== undefined),
      ConfirmationWasAuthenticated: String(subscription.pendingToken === undefined),
      SubscriptionPrincipal: `arn:aws:iam::${subscription.owner}:root`,
    },
  });
};

const setSubscriptionAttributes: Handler = (call, cloud) => {
  const { topic, subscription } = findSubscription(cloud, call.input.SubscriptionArn);
  if (subscription.owner === call.caller.accountId)
    authorizeSns(cloud, call, 'sns:SetSubscriptionAttributes', subscription.arn);
  else authorizeTopic(cloud, call, 'sns:SetSubscriptionAttributes', topic);
  const name = text(call.input.AttributeName);
  const value = checkSubscriptionAttribute(name, text(call.input.AttributeValue));
  if (value === '') delete subscription.attributes[name];
  else subscription.attributes[name] = value;
  return Promise.resolve({});
};

export const subscriptionHandlers: Record<string, Handler> = {
  Subscribe: subscribe,
  ConfirmSubscription: confirmSubscription,
  Unsubscribe: unsubscribe,
  ListSubscriptions: listSubscriptions,
  ListSubscriptionsByTopic: listSubscriptionsByTopic,
  GetSubscriptionAttributes: getSubscriptionAttributes,
  SetSubscriptionAttributes: setSubscriptionAttributes,
};

function xml(
  status: number,
  body: string,
): { status: number; headers: Record<string, string>; body: string } {
  return { status, headers: { 'content-type': 'text/xml' }, body };
}

/** The SubscribeURL of a confirmation message: confirms without credentials, as in SNS. */
export const confirmSubscriptionRoute: Route = {
  method: 'GET',
  pathPrefix: '/_localcloud/sns/confirm-subscription',
  handle(request, cloud) {
    try {
      const topic = findTopic(cloud, request.query.get('TopicArn') ?? '');
      const subscription = confirm(topic, request.query.get('Token') ?? '');
      cloud.markChanged();
      return Promise.resolve(
        xml(
          200,
          `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${subscription.arn}</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`,
        ),
      );
    } catch (error) {
      const e =
        error instanceof AwsError ? error : new AwsError('InternalError', String(error), 500);
      return Promise.resolve(
        xml(
          e.status,
          `<ErrorResponse><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error></ErrorResponse>`,
        ),
      );
    }
  },
};

/** The UnsubscribeURL of a notification. */
export const unsubscribeRoute: Route = {
  method: 'GET',
  pathPrefix: '/_localcloud/sns/unsubscribe',
  handle(request, cloud) {
    try {
      const { topic, subscription } = findSubscription(
        cloud,
        request.query.get('SubscriptionArn') ?? '',
      );
      delete topic.subscriptions[subscription.arn];
      topic.subscriptionsDeleted += 1;
      cloud.markChanged();
      return Promise.resolve(
        xml(
          200,
          '<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"></UnsubscribeResponse>',
        ),
      );
    } catch (error) {
      const e =
        error instanceof AwsError ? error : new AwsError('InternalError', String(error), 500);
      return Promise.resolve(
        xml(
          e.status,
          `<ErrorResponse><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error></ErrorResponse>`,
        ),
      );
    }
  },
};
