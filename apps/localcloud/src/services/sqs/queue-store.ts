/**
 * SQS state: queues per account and region, with their messages. Everything kept here is
 * plain JSON (binary attribute values as base64) so core can persist it as-is.
 */
import { AwsError } from '../../core/contract.ts';
import type { Cloud } from '../../core/contract.ts';
import type { MessageAttribute } from '../../core/service-delivery.ts';

/** A message attribute as stored: binary values base64-encoded (the shape services deliver with). */
export type StoredAttribute = MessageAttribute;

export interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, StoredAttribute>;
  md5OfAttributes?: string;
  sentAt: number;
  /** Epoch ms from which the message may be received (delay, then visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The most recent receipt handle; only it deletes the message. */
  receiptHandle?: string;
  /** True while received and not yet visible again. */
  inFlight: boolean;
  senderId: string;
  groupId?: string;
  deduplicationId?: string;
  sequenceNumber?: string;
}

export interface Queue {
  name: string;
  accountId: string;
  region: string;
  arn: string;
  createdAt: number;
  modifiedAt: number;
  /** Settable attributes as strings, as SQS returns them. */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  messages: StoredMessage[];
  /** FIFO deduplication ids → expiry (epoch ms). */
  deduplication: Record<string, { expiresAt: number; messageId: string; sequenceNumber: string }>;
  sequence: number;
}

export interface SqsState {
  queues: Record<string, Queue>;
}

export function sqsState(cloud: Cloud, accountId: string, region: string): SqsState {
  return cloud.state<SqsState>('sqs', accountId, region, () => ({ queues: {} }));
}

export function queueArn(region: string, accountId: string, name: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${name}`;
}

/** The URL SQS returns for a queue: `BASE/ACCOUNT/NAME`. */
export function queueUrl(cloud: Cloud, queue: Pick<Queue, 'accountId' | 'name'>): string {
  return `${cloud.baseUrl}/${queue.accountId}/${queue.name}`;
}

/**
 * The account and name in a queue URL. Any host is accepted (`https://sqs.REGION.amazonaws.com/…`
 * too), as the URL's last two path segments name the queue.
 */
export function parseQueueUrl(url: unknown): { accountId: string; name: string } {
  if (typeof url !== 'string' || url === '') {
    throw new AwsError('InvalidAddress', 'The address QueueUrl is not valid for this endpoint.');
  }
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not an absolute URL: treat as a path, as SQS does for `ACCOUNT/NAME`.
  }
  const parts = path.split('/').filter((p) => p !== '');
  const name = parts.at(-1);
  const accountId = parts.at(-2);
  if (name === undefined || accountId === undefined || !/^\d{12}$/.test(accountId)) {
    throw new AwsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`);
  }
  return { accountId, name: decodeURIComponent(name) };
}

export function queueDoesNotExist(): AwsError {
  return new AwsError(
    'QueueDoesNotExist',
    'The specified queue does not exist for this wsdl version.',
    400,
  );
}

/** The queue a URL names, in the call's region; `QueueDoesNotExist` otherwise. */
export function findQueue(cloud: Cloud, url: unknown, region: string): Queue {
  const { accountId, name } = parseQueueUrl(url);
  const queue = sqsState(cloud, accountId, region).queues[name];
  if (queue === undefined) throw queueDoesNotExist();
  return queue;
}

/** Queue names: 1–80 of alphanumerics, `-` and `_`, plus `.fifo` for FIFO queues. */
export function validateQueueName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(name.replace(/\.fifo$/, ''))) {
    throw new AwsError(
      'InvalidParameterValue',
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
  if (name.length > 80) {
    throw new AwsError('InvalidParameterValue', 'QueueName must be at most 80 characters long');
  }
  return name;
}
