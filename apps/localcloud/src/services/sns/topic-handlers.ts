/** SNS topic operations: create, delete, list, attributes, tags, permissions. */
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { items, text, texts } from '../../core/input-values.ts';
import { checkResourcePolicy } from '../../core/resource-policy.ts';
import { authorizeSns, authorizeTopic } from './topic-authorize.ts';
import {
  defaultTopicPolicy,
  findTopic,
  invalidParameter,
  snsState,
  validateTopicName,
} from './topic-store.ts';
import type { Topic } from './topic-store.ts';

const SETTABLE = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'TracingConfig',
  'SignatureVersion',
  'ContentBasedDeduplication',
  'FifoTopic',
  'ArchivePolicy',
  'DataProtectionPolicy',
  'FifoThroughputScope',
]);

function checkAttribute(name: string, value: string, creating: boolean, fifo: boolean): string {
  if (!SETTABLE.has(name)) throw invalidParameter(`AttributeName`);
  if (name === 'Policy') {
    checkResourcePolicy(value, 'InvalidParameter', 'Policy');
  } else if (name === 'FifoTopic') {
    if (!creating) throw invalidParameter('AttributeName');
    if ((value.toLowerCase() === 'true') !== fifo) {
      throw invalidParameter(
        'Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.',
      );
    }
    return value.toLowerCase();
  } else if (name === 'ContentBasedDeduplication') {
    if (!fifo) throw invalidParameter('ContentBasedDeduplication: only for FIFO topics');
    if (!/^(true|false)$/i.test(value)) throw invalidParameter('ContentBasedDeduplication');
    return value.toLowerCase();
  } else if (name === 'SignatureVersion' && value !== '1' && value !== '2') {
    throw invalidParameter('SignatureVersion');
  } else if (
    (name === 'DeliveryPolicy' || name === 'DataProtectionPolicy' || name === 'ArchivePolicy') &&
    value !== ''
  ) {
    try {
      JSON.parse(value);
    } catch {
      throw invalidParameter(`${name}: not valid JSON`);
    }
  }
  return value;
}

function tagsFromList(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of items(list)) {
    const t = tag as Record<string, unknown>;
    const key = text(t.Key);
    if (key === '' || key.length > 128)
      throw invalidParameter('Tags: a tag key must be 1 to 128 characters');
    const value = text(t.Value);
    if (value.length > 256)
      throw invalidParameter('Tags: a tag value must be at most 256 characters');
    out[key] = value;
  }
  if (Object.keys(out).length > 50)
    throw new AwsError(
      'TagLimitExceeded',
      'Could not complete request: tag quota of per resource exceeded',
      400,
    );
  return out;
}

function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

const createTopic: Handler = (call, cloud) => {
  const name = validateTopicName(call.input.Name);
  const fifo = name.endsWith('.fifo');
  const arn = `arn:aws:sns:${call.region}:${call.caller.accountId}:${name}`;
  const tags = tagsFromList(call.input.Tags);
  authorizeSns(cloud, call, 'sns:CreateTopic', arn);
  if (Object.keys(tags).length > 0) authorizeSns(cloud, call, 'sns:TagResource', arn);
  const attributes: Record<string, string> = {};
  for (const [key, raw] of Object.entries(
    (call.input.Attributes ?? {}) as Record<string, unknown>,
  )) {
    attributes[key] = checkAttribute(key, text(raw), true, fifo);
  }
  if (fifo && attributes.FifoTopic !== 'true') {
    throw invalidParameter(
      'Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.',
    );
  }
  const state = snsState(cloud, call.caller.accountId, call.region);
  const existing = state.topics[name];
  if (existing !== undefined) {
    for (const [key, value] of Object.entries(attributes)) {
      if (existing.attributes[key] !== value) {
        throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
      }
    }
    for (const [key, value] of Object.entries(tags)) {
      if (existing.tags[key] !== value) {
        throw invalidParameter('Tags Reason: Topic already exists with different tags');
      }
    }
    return Promise.resolve({ TopicArn: existing.arn });
  }
  state.topics[name] = {
    name,
    arn,
    accountId: call.caller.accountId,
    region: call.region,
    createdAt: cloud.now(),
    attributes: {
      DisplayName: '',
      Policy: defaultTopicPolicy(arn, call.caller.accountId),
      ...attributes,
    },
    tags,
    subscriptions: {},
    subscriptionsDeleted: 0,
    sequence: 0,
  };
  return Promise.resolve({ TopicArn: arn });
};

const deleteTopic: Handler = (call, cloud) => {
  let topic: Topic;
  try {
    topic = findTopic(cloud, call.input.TopicArn);
  } catch (error) {
    // Deleting a topic that does not exist succeeds, as in SNS.
    if (error instanceof AwsError && error.code === 'NotFound') {
      authorizeSns(cloud, call, 'sns:DeleteTopic', text(call.input.TopicArn));
      return Promise.resolve({});
    }
    throw error;
  }
  authorizeTopic(cloud, call, 'sns:DeleteTopic', topic);
  delete snsState(cloud, topic.accountId, topic.region).topics[topic.name];
  return Promise.resolve({});
};

const PAGE = 100;

/** A page of `list` after the position a NextToken names. */
export function page<T>(list: T[], token: unknown): { items: T[]; NextToken?: string } {
  let start = 0;
  if (typeof token === 'string' && token !== '') {
    start = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw invalidParameter('NextToken');
  }
  const slice = list.slice(start, start + PAGE);
  return start + PAGE < list.length
    ? { items: slice, NextToken: Buffer.from(String(start + PAGE)).toString('base64') }
    : { items: slice };
}

const listTopics: Handler = (call, cloud) => {
  authorizeSns(cloud, call, 'sns:ListTopics', '*');
  const topics = Object.values(snsState(cloud, call.caller.accountId, call.region).topics)
    .map((t) => t.arn)
    .sort();
  const { items: arns, NextToken } = page(topics, call.input.NextToken);
  return Promise.resolve({
    Topics: arns.map((TopicArn) => ({ TopicArn })),
    ...(NextToken ? { NextToken } : {}),
  });
};

/** Every attribute GetTopicAttributes returns. */
export function topicAttributes(topic: Topic): Record<string, string> {
  const subscriptions = Object.values(topic.subscriptions);
  const out: Record<string, string> = {
    ...topic.attributes,
    TopicArn: topic.arn,
    Owner: topic.accountId,
    SubscriptionsConfirmed: String(
      subscriptions.filter((s) => s.pendingToken === undefined).length,
    ),
    SubscriptionsPending: String(subscriptions.filter((s) => s.pendingToken !== undefined).length),
    SubscriptionsDeleted: String(topic.subscriptionsDeleted),
    EffectiveDeliveryPolicy: JSON.stringify({
      http: {
        defaultHealthyRetryPolicy: {
          minDelayTarget: 20,
          maxDelayTarget: 20,
          numRetries: 3,
          numMaxDelayRetries: 0,
          numNoDelayRetries: 0,
          numMinDelayRetries: 0,
          backoffFunction: 'linear',
        },
        disableSubscriptionOverrides: false,
        defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
      },
    }),
  };
  return out;
}

const getTopicAttributes: Handler = (call, cloud) => {
  const topic = findTopic(cloud, call.input.TopicArn);
  authorizeTopic(cloud, call, 'sns:GetTopicAttributes', topic);
  return Promise.resolve({ Attributes: topicAttributes(topic) });
};

const setTopicAttributes: Handler = (call, cloud) => {
  const topic = findTopic(cloud, call.input.TopicArn);
  authorizeTopic(cloud, call, 'sns:SetTopicAttributes', topic);
  const name = text(call.input.AttributeName);
  const value = text(call.input.AttributeValue);
  const checked = checkAttribute(name, value, false, topic.name.endsWith('.fifo'));
  if (name === 'Policy' && value === '')
    topic.attributes.Policy = defaultTopicPolicy(topic.arn, topic.accountId);
  else topic.attributes[name] = checked;
  return Promise.resolve({});
};

function resourceTopic(cloud: Cloud, call: Call): Topic {
  try {
    return findTopic(cloud, call.input.ResourceArn, 'ResourceArn');
  } catch (error) {
    if (error instanceof AwsError && error.code === 'NotFound') {
      throw new AwsError('ResourceNotFound', 'Resource does not exist', 404);
    }
    throw error;
  }
}

const tagResource: Handler = (call, cloud) => {
  const topic = resourceTopic(cloud, call);
  authorizeTopic(cloud, call, 'sns:TagResource', topic);
  const merged = { ...topic.tags, ...tagsFromList(call.input.Tags) };
  tagsFromList(tagList(merged));
  topic.tags = merged;
  return Promise.resolve({});
};

const untagResource: Handler = (call, cloud) => {
  const topic = resourceTopic(cloud, call);
  authorizeTopic(cloud, call, 'sns:UntagResource', topic);
  for (const key of texts(call.input.TagKeys)) delete topic.tags[key];
  return Promise.resolve({});
};

const listTagsForResource: Handler = (call, cloud) => {
  const topic = resourceTopic(cloud, call);
  authorizeTopic(cloud, call, 'sns:ListTagsForResource', topic);
  return Promise.resolve({ Tags: tagList(topic.tags) });
};

interface PolicyJson {
  Statement: Record<string, unknown>[];
}

const addPermission: Handler = (call, cloud) => {
  const topic = findTopic(cloud, call.input.TopicArn);
  authorizeTopic(cloud, call, 'sns:AddPermission', topic);
  const label = text(call.input.Label);
  const accounts = texts(call.input.AWSAccountId);
  const actions = texts(call.input.ActionName);
  if (label === '' || accounts.length === 0 || actions.length === 0) {
    throw invalidParameter('Label, AWSAccountId and ActionName are required');
  }
  const policy = JSON.parse(
    topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, topic.accountId),
  ) as PolicyJson;
  if (policy.Statement.some((s) => s.Sid === label))
    throw invalidParameter('Statement already exists');
  policy.Statement.push({
    Sid: label,
    Effect: 'Allow',
    Principal: { AWS: accounts.map((a) => (/^\d{12}$/.test(a) ? `arn:aws:iam::${a}:root` : a)) },
    Action: actions.map((a) => `SNS:${a}`),
    Resource: topic.arn,
  });
  topic.attributes.Policy = JSON.stringify(policy);
  return Promise.resolve({});
};

const removePermission: Handler = (call, cloud) => {
  const topic = findTopic(cloud, call.input.TopicArn);
  authorizeTopic(cloud, call, 'sns:RemovePermission', topic);
  const label = text(call.input.Label);
  const policy = JSON.parse(
    topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, topic.accountId),
  ) as PolicyJson;
  policy.Statement = policy.Statement.filter((s) => s.Sid !== label);
  topic.attributes.Policy = JSON.stringify(policy);
  return Promise.resolve({});
};

export const topicHandlers: Record<string, Handler> = {
  CreateTopic: createTopic,
  DeleteTopic: deleteTopic,
  ListTopics: listTopics,
  GetTopicAttributes: getTopicAttributes,
  SetTopicAttributes: setTopicAttributes,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
  AddPermission: addPermission,
  RemovePermission: removePermission,
};
