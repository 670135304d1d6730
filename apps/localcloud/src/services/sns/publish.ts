/**
 * Publishing: the Publish operation and publishes made by AWS services (CloudFormation's
 * custom-resource requests), with fan-out to the topic's SQS subscriptions — each delivery
 * a SendMessage by `sns.amazonaws.com` that the queue policy must allow.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../../core/contract.ts';
import type { Cloud, Handler } from '../../core/contract.ts';
import { text } from '../../core/input-values.ts';
import { namedResourcePolicy } from '../../core/resource-policy.ts';
import { authorizeServiceRequest } from '../../core/service-principal.ts';
import type { MessageAttribute } from '../../core/service-delivery.ts';
import { passesFilterPolicy } from './filter-policy.ts';
import { signEnvelope } from './message-signer.ts';
import { authorizeTopic } from './topic-authorize.ts';
import { findTopic, invalidParameter } from './topic-store.ts';
import type { Subscription, Topic } from './topic-store.ts';

/** A message attribute as published (binary values base64). */
export interface PublishedAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface Publication {
  message: string;
  subject?: string;
  messageStructure?: string;
  attributes: Record<string, PublishedAttribute>;
  groupId?: string;
  deduplicationId?: string;
}

function validAttributes(input: unknown): Record<string, PublishedAttribute> {
  const out: Record<string, PublishedAttribute> = {};
  if (input === undefined || input === null) return out;
  for (const [name, raw] of Object.entries(input as Record<string, Record<string, unknown>>)) {
    const dataType = text(raw.DataType);
    if (!/^(String|Number|Binary|String\.Array)(\..+)?$/.test(dataType)) {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (dataType.startsWith('Binary')) {
      const value = raw.BinaryValue;
      const buffer =
        value instanceof Uint8Array
          ? Buffer.from(value)
          : typeof value === 'string'
            ? Buffer.from(value, 'base64')
            : undefined;
      if (buffer === undefined)
        throw new AwsError(
          'ParameterValueInvalid',
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
        );
      out[name] = { DataType: dataType, BinaryValue: buffer.toString('base64') };
      continue;
    }
    const value = raw.StringValue;
    if (typeof value !== 'string' || value === '') {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    if (dataType.startsWith('Number') && !Number.isFinite(Number(value))) {
      throw new AwsError(
        'ParameterValueInvalid',
        `An error occurred while trying to parse the value of the message attribute '${name}' of type 'Number'.`,
      );
    }
    if (dataType === 'String.Array') {
      let ok: boolean;
      try {
        ok = Array.isArray(JSON.parse(value));
      } catch {
        ok = false;
      }
      if (!ok)
        throw new AwsError(
          'ParameterValueInvalid',
          `The message attribute '${name}' with type 'String.Array' must be a JSON array.`,
        );
    }
    out[name] = { DataType: dataType, StringValue: value };
  }
  return out;
}

/** The body an SQS subscription gets for the publication. */
function messageFor(publication: Publication): string {
  if (publication.messageStructure !== 'json') return publication.message;
  const structure = JSON.parse(publication.message) as Record<string, unknown>;
  return text(structure.sqs ?? structure.default);
}

function filterValues(attributes: Record<string, PublishedAttribute>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, a] of Object.entries(attributes)) {
    if (a.DataType === 'String.Array') {
      out[name] = (JSON.parse(a.StringValue ?? '[]') as unknown[]).map((v) => text(v));
    } else if (a.StringValue !== undefined) {
      out[name] = [a.StringValue];
    }
  }
  return out;
}

function envelope(
  cloud: Cloud,
  topic: Topic,
  subscription: Subscription,
  publication: Publication,
  messageId: string,
  timestamp: string,
): string {
  const body: Record<string, string> = {
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: topic.arn,
    ...(publication.subject === undefined ? {} : { Subject: publication.subject }),
    Message: messageFor(publication),
    Timestamp: timestamp,
  };
  signEnvelope(cloud, body, topic.attributes.SignatureVersion === '2' ? '2' : '1');
  body.UnsubscribeURL = `${cloud.baseUrl}/_localcloud/sns/unsubscribe?SubscriptionArn=${encodeURIComponent(subscription.arn)}`;
  const attributes = Object.entries(publication.attributes);
  const json: Record<string, unknown> = { ...body };
  if (attributes.length > 0) {
    json.MessageAttributes = Object.fromEntries(
      attributes.map(([name, a]) => [
        name,
        { Type: a.DataType, Value: a.BinaryValue ?? a.StringValue },
      ]),
    );
  }
  return JSON.stringify(json, null, 2);
}

function sqsAttributes(
  attributes: Record<string, PublishedAttribute>,
): Record<string, MessageAttribute> {
  const out: Record<string, MessageAttribute> = {};
  for (const [name, a] of Object.entries(attributes)) {
    out[name] =
      a.BinaryValue !== undefined
        ? { DataType: a.DataType, BinaryValue: a.BinaryValue }
        : {
            DataType: a.DataType === 'String.Array' ? 'String' : a.DataType,
            StringValue: a.StringValue ?? '',
          };
  }
  return out;
}

/** Delivers a validated publication to every confirmed subscription; returns the message id. */
export function fanOut(
  cloud: Cloud,
  topic: Topic,
  publication: Publication,
): { MessageId: string; SequenceNumber?: string } {
  const messageId = randomUUID();
  const timestamp = new Date(cloud.now()).toISOString();
  let sequenceNumber: string | undefined;
  if (topic.name.endsWith('.fifo')) {
    topic.sequence += 1;
    sequenceNumber = String(topic.sequence).padStart(20, '0');
  }
  const values = filterValues(publication.attributes);
  for (const subscription of Object.values(topic.subscriptions)) {
    if (subscription.pendingToken !== undefined || subscription.protocol !== 'sqs') continue;
    if (!passesFilterPolicy(subscription.attributes.FilterPolicy, values)) continue;
    const raw = subscription.attributes.RawMessageDelivery === 'true';
    const result = cloud.deliver({
      targetArn: subscription.endpoint,
      service: 'sns.amazonaws.com',
      sourceArn: topic.arn,
      sourceAccount: topic.accountId,
      body: raw
        ? messageFor(publication)
        : envelope(cloud, topic, subscription, publication, messageId, timestamp),
      attributes: raw ? sqsAttributes(publication.attributes) : {},
      ...(publication.groupId === undefined ? {} : { groupId: publication.groupId }),
      ...(publication.deduplicationId === undefined
        ? {}
        : { deduplicationId: publication.deduplicationId }),
    });
    if (!result.ok) {
      cloud.log.warn('SNS delivery to SQS failed', {
        subscription: subscription.arn,
        reason: result.reason,
      });
    }
  }
  return {
    MessageId: messageId,
    ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }),
  };
}

/** Validates Publish input into a publication for `topic`. */
function publication(input: Record<string, unknown>, topic: Topic): Publication {
  if (typeof input.Message !== 'string' || input.Message === '') {
    throw invalidParameter('Message');
  }
  if (Buffer.byteLength(input.Message) > 262144) {
    throw invalidParameter('Message too long');
  }
  const result: Publication = {
    message: input.Message,
    attributes: validAttributes(input.MessageAttributes),
  };
  if (input.Subject !== undefined && input.Subject !== null) {
    const subject = text(input.Subject);
    if (
      subject === '' ||
      subject.length > 100 ||
      /[\n\r]/.test(subject) ||
      !/^[\x20-\x7e]*$/.test(subject)
    ) {
      throw invalidParameter('Subject');
    }
    result.subject = subject;
  }
  if (input.MessageStructure !== undefined && input.MessageStructure !== null) {
    if (input.MessageStructure !== 'json') throw invalidParameter('MessageStructure');
    let structure: unknown;
    try {
      structure = JSON.parse(input.Message);
    } catch {
      throw invalidParameter('Message Structure - JSON message body failed to parse');
    }
    if (
      structure === null ||
      typeof structure !== 'object' ||
      typeof (structure as Record<string, unknown>).default !== 'string'
    ) {
      throw invalidParameter('Message Structure - No default entry in JSON message body');
    }
    result.messageStructure = 'json';
  }
  if (topic.name.endsWith('.fifo')) {
    const groupId = text(input.MessageGroupId);
    if (groupId === '')
      throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
    result.groupId = groupId;
    let dedup = text(input.MessageDeduplicationId);
    if (dedup === '') {
      if (topic.attributes.ContentBasedDeduplication !== 'true') {
        throw invalidParameter(
          'The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
      dedup = createHash('sha256').update(input.Message).digest('hex');
    }
    result.deduplicationId = dedup;
  } else if (input.MessageGroupId !== undefined && input.MessageGroupId !== null) {
    throw invalidParameter(
      'MessageGroupId: The request includes MessageGroupId parameter that is not valid for this topic type',
    );
  }
  return result;
}

const publish: Handler = (call, cloud) => {
  if (call.input.PhoneNumber !== undefined) {
    throw invalidParameter('PhoneNumber: SMS is not supported here');
  }
  const arn = call.input.TopicArn ?? call.input.TargetArn;
  if (arn === undefined)
    throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
  const topic = findTopic(cloud, arn, call.input.TopicArn === undefined ? 'TargetArn' : 'TopicArn');
  authorizeTopic(cloud, call, 'sns:Publish', topic);
  return Promise.resolve(fanOut(cloud, topic, publication(call.input, topic)));
};

export const publishHandlers: Record<string, Handler> = { Publish: publish };

export type ServicePublishResult = { ok: true; messageId: string } | { ok: false; reason: string };

/**
 * Publishes as an AWS service principal (e.g. `cloudformation.amazonaws.com`), allowed by
 * the topic policy alone; never throws for AWS-side failures, it returns the reason.
 */
export function publishAsService(
  cloud: Cloud,
  request: {
    topicArn: string;
    service: string;
    sourceArn: string;
    sourceAccount: string;
    message: string;
    subject?: string;
  },
): ServicePublishResult {
  let topic: Topic;
  try {
    topic = findTopic(cloud, request.topicArn);
  } catch (error) {
    return {
      ok: false,
      reason:
        error instanceof AwsError && error.code === 'NotFound'
          ? `the topic ${request.topicArn} does not exist`
          : `invalid topic ARN ${request.topicArn}`,
    };
  }
  const decision = authorizeServiceRequest({
    service: request.service,
    action: 'sns:Publish',
    resource: topic.arn,
    resourceAccount: topic.accountId,
    resourcePolicy: namedResourcePolicy('topic-policy', topic.attributes.Policy),
    sourceArn: request.sourceArn,
    sourceAccount: request.sourceAccount,
  });
  if (decision.decision !== 'Allowed') {
    cloud.log.info('service publish denied by the topic policy', {
      topic: topic.arn,
      service: request.service,
      reason: decision.reason,
    });
    return {
      ok: false,
      reason: `${request.service} is not authorized to publish to ${topic.arn}: ${decision.reason}`,
    };
  }
  const result = fanOut(cloud, topic, {
    message: request.message,
    attributes: {},
    ...(request.subject === undefined ? {} : { subject: request.subject }),
  });
  return { ok: true, messageId: result.MessageId };
}
