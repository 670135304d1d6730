/** SQS queue operations: create, find, list, attributes, tags, purge, delete. */
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { selectAttributes, validateAttributes, DEFAULT_ATTRIBUTES } from './queue-attributes.ts';
import {
  findQueue,
  queueArn,
  queueDoesNotExist,
  queueUrl,
  sqsState,
  validateQueueName,
} from './queue-store.ts';
import type { Queue } from './queue-store.ts';
import { notifyQueue } from './queue-waiters.ts';
import { text, texts } from '../../core/input-values.ts';
import { checkResourcePolicy, namedResourcePolicy } from '../../core/resource-policy.ts';

const checkPolicy = (text: string) => checkResourcePolicy(text, 'InvalidAttributeValue');

/** Authorizes `action` on the queue, with its queue policy as the resource policy. */
export function authorizeQueue(cloud: Cloud, call: Call, action: string, queue: Queue): void {
  cloud.authorize(call, action, queue.arn, {
    resourcePolicy: namedResourcePolicy('queue-policy', queue.attributes.Policy),
    resourceAccount: queue.accountId,
  });
}

/** The queue named by the call's QueueUrl, after authorizing `action` on it. */
export function authorizedQueue(cloud: Cloud, call: Call, action: string): Queue {
  const queue = findQueue(cloud, call.input.QueueUrl, call.region);
  authorizeQueue(cloud, call, action, queue);
  return queue;
}

function validateTags(tags: unknown): Record<string, string> {
  if (tags === undefined || tags === null) return {};
  if (typeof tags !== 'object') throw new AwsError('InvalidParameterValue', 'Tags must be a map.');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (k.length === 0 || k.length > 128) {
      throw new AwsError('InvalidParameterValue', `Tag key must be 1 to 128 characters: ${k}`);
    }
    const value = String(v);
    if (value.length > 256) {
      throw new AwsError('InvalidParameterValue', `Tag value must be at most 256 characters: ${k}`);
    }
    out[k] = value;
  }
  return out;
}

const createQueue: Handler = (call, cloud) => {
  const name = validateQueueName(call.input.QueueName);
  const fifo = name.endsWith('.fifo');
  const arn = queueArn(call.region, call.caller.accountId, name);
  const tags = validateTags(call.input.tags);
  cloud.authorize(call, 'sqs:CreateQueue', arn, {
    context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  });
  const attributes = validateAttributes(call.input.Attributes, fifo, true, checkPolicy);
  if (fifo && attributes.FifoQueue !== 'true') {
    throw new AwsError(
      'InvalidParameterValue',
      'The FifoQueue attribute must be true for a queue whose name ends with .fifo.',
    );
  }
  const state = sqsState(cloud, call.caller.accountId, call.region);
  const existing = state.queues[name];
  const wanted = { ...DEFAULT_ATTRIBUTES, ...attributes };
  if (existing !== undefined) {
    for (const [key, value] of Object.entries(wanted)) {
      if ((existing.attributes[key] ?? DEFAULT_ATTRIBUTES[key]) !== value) {
        throw new AwsError(
          'QueueNameExists',
          `A queue already exists with the same name and a different value for attribute ${key}`,
        );
      }
    }
    return Promise.resolve({ QueueUrl: queueUrl(cloud, existing) });
  }
  const now = cloud.now();
  state.queues[name] = {
    name,
    accountId: call.caller.accountId,
    region: call.region,
    arn,
    createdAt: now,
    modifiedAt: now,
    attributes: wanted,
    tags,
    messages: [],
    deduplication: {},
    sequence: 0,
  };
  return Promise.resolve({ QueueUrl: queueUrl(cloud, state.queues[name]) });
};

const getQueueUrl: Handler = (call, cloud) => {
  const name = text(call.input.QueueName);
  const owner =
    typeof call.input.QueueOwnerAWSAccountId === 'string' &&
    call.input.QueueOwnerAWSAccountId !== ''
      ? call.input.QueueOwnerAWSAccountId
      : call.caller.accountId;
  const queue = sqsState(cloud, owner, call.region).queues[name];
  if (queue === undefined) throw queueDoesNotExist();
  authorizeQueue(cloud, call, 'sqs:GetQueueUrl', queue);
  return Promise.resolve({ QueueUrl: queueUrl(cloud, queue) });
};

const listQueues: Handler = (call, cloud) => {
  cloud.authorize(call, 'sqs:ListQueues', '*');
  const prefix = typeof call.input.QueueNamePrefix === 'string' ? call.input.QueueNamePrefix : '';
  const names = Object.keys(sqsState(cloud, call.caller.accountId, call.region).queues)
    .filter((n) => n.startsWith(prefix))
    .sort();
  const max = call.input.MaxResults === undefined ? undefined : Number(call.input.MaxResults);
  if (max === undefined) {
    // Without MaxResults SQS returns at most 1000 and no token.
    return Promise.resolve({
      QueueUrls: names
        .slice(0, 1000)
        .map((name) => queueUrl(cloud, { accountId: call.caller.accountId, name })),
    });
  }
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new AwsError(
      'InvalidParameterValue',
      'MaxResults must be an integer between 1 and 1000.',
    );
  }
  const start = typeof call.input.NextToken === 'string' ? decodeToken(call.input.NextToken) : 0;
  const page = names.slice(start, start + max);
  const next = start + max < names.length ? encodeToken(start + max) : undefined;
  return Promise.resolve({
    QueueUrls: page.map((name) => queueUrl(cloud, { accountId: call.caller.accountId, name })),
    ...(next === undefined ? {} : { NextToken: next }),
  });
};

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function decodeToken(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      offset?: unknown;
    };
    if (typeof parsed.offset === 'number' && parsed.offset >= 0) return parsed.offset;
  } catch {
    // fall through to the error below
  }
  throw new AwsError('InvalidParameterValue', 'Invalid NextToken value.');
}

const getQueueAttributes: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:GetQueueAttributes');
  const attributes = selectAttributes(queue, call.input.AttributeNames, cloud.now());
  return Promise.resolve(attributes === undefined ? {} : { Attributes: attributes });
};

const setQueueAttributes: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:SetQueueAttributes');
  const attributes = validateAttributes(
    call.input.Attributes,
    queue.name.endsWith('.fifo'),
    false,
    checkPolicy,
  );
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'Policy' && value === '') delete queue.attributes.Policy;
    else queue.attributes[key] = value;
  }
  queue.modifiedAt = cloud.now();
  return Promise.resolve({});
};

const deleteQueue: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:DeleteQueue');
  delete sqsState(cloud, queue.accountId, queue.region).queues[queue.name];
  notifyQueue(cloud, queue.arn);
  return Promise.resolve({});
};

const purgeQueue: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:PurgeQueue');
  queue.messages = [];
  return Promise.resolve({});
};

const tagQueue: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:TagQueue');
  Object.assign(queue.tags, validateTags(call.input.Tags));
  return Promise.resolve({});
};

const untagQueue: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:UntagQueue');
  const keys = texts(call.input.TagKeys);
  for (const key of keys) delete queue.tags[key];
  return Promise.resolve({});
};

const listQueueTags: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:ListQueueTags');
  return Promise.resolve(Object.keys(queue.tags).length === 0 ? {} : { Tags: { ...queue.tags } });
};

/** AddPermission writes a statement into the queue policy, as SQS does. */
const addPermission: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:AddPermission');
  const label = text(call.input.Label);
  const accounts = texts(call.input.AWSAccountIds);
  const actions = texts(call.input.Actions);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(label)) {
    throw new AwsError(
      'InvalidParameterValue',
      'Label must be 1 to 80 alphanumeric characters, hyphens or underscores.',
    );
  }
  if (accounts.length === 0 || actions.length === 0) {
    throw new AwsError('MissingParameter', 'AWSAccountIds and Actions are required.');
  }
  const policy: { Statement: Record<string, unknown>[] } = queue.attributes.Policy
    ? (JSON.parse(queue.attributes.Policy) as { Statement: Record<string, unknown>[] })
    : ({ Version: '2012-10-17', Id: `${queue.arn}/SQSDefaultPolicy`, Statement: [] } as {
        Statement: Record<string, unknown>[];
      });
  if (policy.Statement.some((s) => s.Sid === label)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ${label} for parameter Label is invalid. Reason: Already exists.`,
    );
  }
  policy.Statement.push({
    Sid: label,
    Effect: 'Allow',
    Principal: { AWS: accounts.map((a) => `arn:aws:iam::${a}:root`) },
    Action: actions.map((a) => (a === '*' ? 'SQS:*' : `SQS:${a}`)),
    Resource: queue.arn,
  });
  queue.attributes.Policy = JSON.stringify(policy);
  return Promise.resolve({});
};

const removePermission: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:RemovePermission');
  const label = text(call.input.Label);
  const policy = queue.attributes.Policy
    ? (JSON.parse(queue.attributes.Policy) as { Statement: Record<string, unknown>[] })
    : undefined;
  if (policy === undefined || !policy.Statement.some((s) => s.Sid === label)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ${label} for parameter Label is invalid. Reason: can't find label.`,
    );
  }
  policy.Statement = policy.Statement.filter((s) => s.Sid !== label);
  if (policy.Statement.length === 0) delete queue.attributes.Policy;
  else queue.attributes.Policy = JSON.stringify(policy);
  return Promise.resolve({});
};

export const queueHandlers: Record<string, Handler> = {
  CreateQueue: createQueue,
  GetQueueUrl: getQueueUrl,
  ListQueues: listQueues,
  GetQueueAttributes: getQueueAttributes,
  SetQueueAttributes: setQueueAttributes,
  DeleteQueue: deleteQueue,
  PurgeQueue: purgeQueue,
  TagQueue: tagQueue,
  UntagQueue: untagQueue,
  ListQueueTags: listQueueTags,
  AddPermission: addPermission,
  RemovePermission: removePermission,
};
