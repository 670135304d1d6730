/** SNS and SQS resources: topics, topic policies, subscriptions, queues, queue policies. */
import type { Json } from '../template-parser.ts';
import { list, physicalName, policyText, str, tagList } from './resource-provider.ts';
import type { ResourceProvider } from './resource-provider.ts';

const TOPIC_ATTRIBUTES = [
  'DisplayName',
  'KmsMasterKeyId',
  'FifoTopic',
  'ContentBasedDeduplication',
  'SignatureVersion',
  'TracingConfig',
];

function topicName(arn: string): string {
  return arn.split(':').at(-1) ?? arn;
}

const topic: ResourceProvider = {
  replaceOn: ['TopicName', 'FifoTopic'],
  async create(ctx, p) {
    const fifo = p.FifoTopic === true || p.FifoTopic === 'true';
    const attributes: Record<string, string> = {};
    for (const key of TOPIC_ATTRIBUTES)
      if (p[key] !== undefined) attributes[key] = str(p[key]) ?? '';
    const out = await ctx.invoke<{ TopicArn: string }>('sns', 'CreateTopic', {
      Name: str(p.TopicName) ?? physicalName(ctx, 256, fifo ? '.fifo' : ''),
      ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
      ...(p.Tags === undefined ? {} : { Tags: tagList(p.Tags) }),
    });
    for (const s of list(p.Subscription)) {
      const sub = (s ?? {}) as Record<string, Json>;
      await ctx.invoke('sns', 'Subscribe', {
        TopicArn: out.TopicArn,
        Protocol: str(sub.Protocol),
        Endpoint: str(sub.Endpoint),
      });
    }
    return {
      physicalId: out.TopicArn,
      attributes: { TopicArn: out.TopicArn, TopicName: topicName(out.TopicArn) },
    };
  },
  async update(ctx, current, p) {
    for (const key of TOPIC_ATTRIBUTES) {
      if (key === 'FifoTopic') continue;
      if (str(current.properties[key]) !== str(p[key])) {
        await ctx.invoke('sns', 'SetTopicAttributes', {
          TopicArn: current.physicalId,
          AttributeName: key,
          AttributeValue: str(p[key]) ?? '',
        });
      }
    }
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    await ctx.invoke('sns', 'DeleteTopic', { TopicArn: current.physicalId });
  },
};

const topicPolicy: ResourceProvider = {
  required: ['PolicyDocument', 'Topics'],
  async create(ctx, p) {
    for (const arn of list(p.Topics)) {
      await ctx.invoke('sns', 'SetTopicAttributes', {
        TopicArn: str(arn),
        AttributeName: 'Policy',
        AttributeValue: policyText(p.PolicyDocument),
      });
    }
    const id = physicalName(ctx, 128);
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(ctx, current, p) {
    await topicPolicy.delete(ctx, current);
    await topicPolicy.create(ctx, p);
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    for (const arn of list(current.properties.Topics)) {
      // An empty policy restores SNS's default policy.
      await ctx.invoke('sns', 'SetTopicAttributes', {
        TopicArn: str(arn),
        AttributeName: 'Policy',
        AttributeValue: '',
      });
    }
  },
};

const subscription: ResourceProvider = {
  required: ['Protocol', 'TopicArn'],
  replaceOn: ['Protocol', 'TopicArn', 'Endpoint'],
  async create(ctx, p) {
    const attributes: Record<string, string> = {};
    if (p.RawMessageDelivery !== undefined)
      attributes.RawMessageDelivery = str(p.RawMessageDelivery) ?? 'false';
    if (p.FilterPolicy !== undefined) attributes.FilterPolicy = policyText(p.FilterPolicy);
    const out = await ctx.invoke<{ SubscriptionArn: string }>('sns', 'Subscribe', {
      TopicArn: str(p.TopicArn),
      Protocol: str(p.Protocol),
      Endpoint: str(p.Endpoint),
      ReturnSubscriptionArn: true,
      ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
    });
    return { physicalId: out.SubscriptionArn, attributes: {} };
  },
  async delete(ctx, current) {
    await ctx.invoke('sns', 'Unsubscribe', { SubscriptionArn: current.physicalId });
  },
};

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
];

function queueAttributes(p: Record<string, Json>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of QUEUE_ATTRIBUTES) if (p[key] !== undefined) out[key] = str(p[key]) ?? '';
  if (p.RedrivePolicy !== undefined) out.RedrivePolicy = policyText(p.RedrivePolicy);
  return out;
}

const queue: ResourceProvider = {
  replaceOn: ['QueueName', 'FifoQueue'],
  async create(ctx, p) {
    const fifo = p.FifoQueue === true || p.FifoQueue === 'true';
    const name = str(p.QueueName) ?? physicalName(ctx, 80, fifo ? '.fifo' : '');
    const attributes = queueAttributes(p);
    const tags = Object.fromEntries(tagList(p.Tags).map((t) => [t.Key, t.Value]));
    const out = await ctx.invoke<{ QueueUrl: string }>('sqs', 'CreateQueue', {
      QueueName: name,
      ...(Object.keys(attributes).length === 0 ? {} : { Attributes: attributes }),
      ...(Object.keys(tags).length === 0 ? {} : { tags }),
    });
    const arn = `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${name}`;
    return {
      physicalId: out.QueueUrl,
      attributes: { Arn: arn, QueueName: name, QueueUrl: out.QueueUrl },
    };
  },
  async update(ctx, current, p) {
    const attributes = queueAttributes(p);
    delete attributes.FifoQueue;
    if (Object.keys(attributes).length > 0)
      await ctx.invoke('sqs', 'SetQueueAttributes', {
        QueueUrl: current.physicalId,
        Attributes: attributes,
      });
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    await ctx.invoke('sqs', 'DeleteQueue', { QueueUrl: current.physicalId });
  },
};

const queuePolicy: ResourceProvider = {
  required: ['PolicyDocument', 'Queues'],
  async create(ctx, p) {
    for (const url of list(p.Queues)) {
      await ctx.invoke('sqs', 'SetQueueAttributes', {
        QueueUrl: str(url),
        Attributes: { Policy: policyText(p.PolicyDocument) },
      });
    }
    const id = physicalName(ctx, 128);
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(ctx, current, p) {
    await queuePolicy.delete(ctx, current);
    await queuePolicy.create(ctx, p);
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    for (const url of list(current.properties.Queues)) {
      await ctx.invoke('sqs', 'SetQueueAttributes', {
        QueueUrl: str(url),
        Attributes: { Policy: '' },
      });
    }
  },
};

export const messagingResources: Record<string, ResourceProvider> = {
  'AWS::SNS::Topic': topic,
  'AWS::SNS::TopicPolicy': topicPolicy,
  'AWS::SNS::Subscription': subscription,
  'AWS::SQS::Queue': queue,
  'AWS::SQS::QueuePolicy': queuePolicy,
};
