/**
 * SQS message operations: send (single and batch), receive with long polling and
 * visibility timeouts, delete, change visibility.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { text, texts } from '../../core/input-values.ts';
import { md5Hex, md5OfAttributes } from './message-md5.ts';
import { numberAttribute } from './queue-attributes.ts';
import { authorizedQueue } from './queue-handlers.ts';
import { findQueue } from './queue-store.ts';
import type { Queue, StoredAttribute, StoredMessage } from './queue-store.ts';
import { isStopping, notifyQueue, waitForQueue } from './queue-waiters.ts';

/** A message to enqueue, already validated. */
export interface OutgoingMessage {
  body: string;
  attributes: Record<string, StoredAttribute>;
  delaySeconds?: number;
  groupId?: string;
  deduplicationId?: string;
  senderId: string;
}

function parameterError(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

/** Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const INVALID_BODY = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function storedAttributes(input: unknown): Record<string, StoredAttribute> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object') throw parameterError('MessageAttributes must be a map.');
  const out: Record<string, StoredAttribute> = {};
  const entries = Object.entries(input as Record<string, Record<string, unknown>>);
  if (entries.length > 10) {
    throw parameterError(
      'Number of message attributes [' + entries.length + '] exceeds the allowed maximum [10].',
    );
  }
  for (const [name, value] of entries) {
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      /^(aws\.|amazon\.)/i.test(name) ||
      /^\.|\.$|\.\./.test(name)
    ) {
      throw parameterError(`Message attribute name '${name}' is invalid.`);
    }
    const dataType = typeof value.DataType === 'string' ? value.DataType : '';
    const base = dataType.split('.')[0];
    if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
      throw parameterError(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    if (base === 'Binary') {
      const raw = value.BinaryValue;
      const buffer = Buffer.isBuffer(raw)
        ? raw
        : raw instanceof Uint8Array
          ? Buffer.from(raw)
          : typeof raw === 'string'
            ? Buffer.from(raw, 'base64')
            : undefined;
      if (buffer === undefined) {
        throw parameterError(
          `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${dataType}'.`,
        );
      }
      out[name] = { DataType: dataType, BinaryValue: buffer.toString('base64') };
    } else {
      const text = value.StringValue;
      if (typeof text !== 'string' || text === '') {
        throw parameterError(
          `Message (user) attribute '${name}' must contain a non-empty message attribute value for message attribute type '${dataType}'.`,
        );
      }
      if (base === 'Number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
        throw parameterError(
          `Value ${text} for message attribute '${name}' is not a valid number.`,
        );
      }
      out[name] = { DataType: dataType, StringValue: text };
    }
  }
  return out;
}

/** Validates a message against the queue's limits and adds it; returns the SendMessage result. */
export function enqueue(
  cloud: Cloud,
  queue: Queue,
  message: OutgoingMessage,
): Record<string, unknown> {
  if (message.body === '')
    throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  if (INVALID_BODY.test(message.body)) {
    throw new AwsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  }
  const size =
    Buffer.byteLength(message.body) +
    Object.entries(message.attributes).reduce(
      (n, [k, v]) =>
        n +
        Buffer.byteLength(k) +
        Buffer.byteLength(v.DataType) +
        (v.BinaryValue
          ? Buffer.from(v.BinaryValue, 'base64').length
          : Buffer.byteLength(v.StringValue ?? '')),
      0,
    );
  const max = numberAttribute(queue, 'MaximumMessageSize');
  if (size > max) {
    throw parameterError(
      `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`,
    );
  }
  const fifo = queue.name.endsWith('.fifo');
  const delay = message.delaySeconds ?? numberAttribute(queue, 'DelaySeconds');
  if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
    throw parameterError(
      `Value ${delay} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`,
    );
  }
  const now = cloud.now();
  let sequenceNumber: string | undefined;
  let deduplicationId = message.deduplicationId;
  if (fifo) {
    if (message.delaySeconds !== undefined && message.delaySeconds !== 0) {
      throw parameterError(
        `Value ${delay} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
      );
    }
    if (message.groupId === undefined || message.groupId === '') {
      throw new AwsError(
        'MissingParameter',
        'The request must contain the parameter MessageGroupId.',
      );
    }
    if (deduplicationId === undefined) {
      if (queue.attributes.ContentBasedDeduplication !== 'true') {
        throw parameterError(
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
      deduplicationId = createHash('sha256').update(message.body).digest('hex');
    }
    for (const [id, entry] of Object.entries(queue.deduplication)) {
      if (entry.expiresAt <= now) delete queue.deduplication[id];
    }
    const previous = queue.deduplication[deduplicationId];
    if (previous !== undefined) {
      return {
        MessageId: previous.messageId,
        MD5OfMessageBody: md5Hex(message.body),
        ...optional('MD5OfMessageAttributes', md5OfAttributes(message.attributes)),
        SequenceNumber: previous.sequenceNumber,
      };
    }
    queue.sequence += 1;
    sequenceNumber = String(queue.sequence).padStart(20, '0');
  } else if (message.groupId !== undefined) {
    // Standard queues accept MessageGroupId (fair queues); it is kept and returned.
  }
  const stored: StoredMessage = {
    id: randomUUID(),
    body: message.body,
    md5OfBody: md5Hex(message.body),
    attributes: message.attributes,
    sentAt: now,
    visibleAt: fifo ? now : now + delay * 1000,
    receiveCount: 0,
    inFlight: false,
    senderId: message.senderId,
    ...(message.groupId === undefined ? {} : { groupId: message.groupId }),
    ...(deduplicationId === undefined || !fifo ? {} : { deduplicationId }),
    ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
  };
  const md5Attrs = md5OfAttributes(message.attributes);
  if (md5Attrs !== undefined) stored.md5OfAttributes = md5Attrs;
  queue.messages.push(stored);
  if (fifo && deduplicationId !== undefined && sequenceNumber !== undefined) {
    queue.deduplication[deduplicationId] = {
      expiresAt: now + 5 * 60_000,
      messageId: stored.id,
      sequenceNumber,
    };
  }
  notifyQueue(cloud, queue.arn);
  if (delay > 0 && !fifo) {
    // Wake long-pollers when the delay ends.
    setTimeout(() => notifyQueue(cloud, queue.arn), delay * 1000).unref();
  }
  return {
    MessageId: stored.id,
    MD5OfMessageBody: stored.md5OfBody,
    ...optional('MD5OfMessageAttributes', md5Attrs),
    ...optional('SequenceNumber', sequenceNumber),
  };
}

function optional(key: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [key]: value };
}

function outgoing(call: Call, entry: Record<string, unknown>): OutgoingMessage {
  if (typeof entry.MessageBody !== 'string') {
    throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  }
  const delay = entry.DelaySeconds;
  return {
    body: entry.MessageBody,
    attributes: storedAttributes(entry.MessageAttributes),
    ...(delay === undefined || delay === null ? {} : { delaySeconds: Number(delay) }),
    ...(typeof entry.MessageGroupId === 'string' ? { groupId: entry.MessageGroupId } : {}),
    ...(typeof entry.MessageDeduplicationId === 'string'
      ? { deduplicationId: entry.MessageDeduplicationId }
      : {}),
    senderId: call.caller.userId,
  };
}

const sendMessage: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:SendMessage');
  return Promise.resolve(enqueue(cloud, queue, outgoing(call, call.input)));
};

interface BatchEntry {
  Id?: unknown;
  [key: string]: unknown;
}

function batchEntries(input: unknown): BatchEntry[] {
  const entries = Array.isArray(input) ? (input as BatchEntry[]) : [];
  if (entries.length === 0) {
    throw new AwsError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (entries.length > 10) {
    throw new AwsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
    );
  }
  const ids = new Set<string>();
  for (const entry of entries) {
    const id = text(entry.Id);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new AwsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (ids.has(id)) throw new AwsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return entries;
}

function batchFailure(id: string, error: unknown): Record<string, unknown> {
  if (error instanceof AwsError) {
    return { Id: id, SenderFault: error.senderFault, Code: error.code, Message: error.message };
  }
  throw error;
}

const sendMessageBatch: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:SendMessage');
  const entries = batchEntries(call.input.Entries);
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of entries) {
    const id = text(entry.Id);
    try {
      Successful.push({ Id: id, ...enqueue(cloud, queue, outgoing(call, entry)) });
    } catch (error) {
      Failed.push(batchFailure(id, error));
    }
  }
  return Promise.resolve({ Successful, Failed });
};

function wantsAttribute(names: string[], name: string): boolean {
  return names.includes('All') || names.includes(name);
}

function selectedMessageAttributes(
  attributes: Record<string, StoredAttribute>,
  names: string[],
): Record<string, Record<string, unknown>> | undefined {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const wanted = names.some(
      (n) =>
        n === 'All' ||
        n === '.*' ||
        n === name ||
        (n.endsWith('.*') && name.startsWith(n.slice(0, -1))),
    );
    if (!wanted) continue;
    out[name] =
      value.BinaryValue !== undefined
        ? { DataType: value.DataType, BinaryValue: Buffer.from(value.BinaryValue, 'base64') }
        : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function dropExpired(queue: Queue, now: number): void {
  const retention = numberAttribute(queue, 'MessageRetentionPeriod') * 1000;
  queue.messages = queue.messages.filter((m) => m.sentAt + retention > now);
}

function receiptHandle(queue: Queue, message: StoredMessage): string {
  return Buffer.from(`${queue.arn} ${message.id} ${randomBytes(12).toString('hex')}`).toString(
    'base64',
  );
}

/** Takes up to `max` visible messages, making them in flight for `visibility` seconds. */
function take(queue: Queue, max: number, visibility: number, now: number): StoredMessage[] {
  dropExpired(queue, now);
  const taken: StoredMessage[] = [];
  const blockedGroups = new Set<string>();
  const fifo = queue.name.endsWith('.fifo');
  for (const m of queue.messages) {
    if (m.inFlight && m.visibleAt <= now) m.inFlight = false;
    if (fifo && m.groupId !== undefined && (m.inFlight || blockedGroups.has(m.groupId))) {
      // FIFO: a group delivers in order, one batch at a time.
      blockedGroups.add(m.groupId);
      continue;
    }
    if (taken.length >= max || m.visibleAt > now) continue;
    m.inFlight = true;
    m.visibleAt = now + visibility * 1000;
    m.receiveCount += 1;
    m.firstReceivedAt ??= now;
    m.receiptHandle = receiptHandle(queue, m);
    taken.push(m);
  }
  return taken;
}

function integerParameter(
  value: unknown,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw parameterError(
      `Value ${text(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return n;
}

const receiveMessage: Handler = async (call, cloud) => {
  let queue = authorizedQueue(cloud, call, 'sqs:ReceiveMessage');
  const max = integerParameter(call.input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10, 1);
  const wait = integerParameter(
    call.input.WaitTimeSeconds,
    'WaitTimeSeconds',
    0,
    20,
    numberAttribute(queue, 'ReceiveMessageWaitTimeSeconds'),
  );
  const visibility = integerParameter(
    call.input.VisibilityTimeout,
    'VisibilityTimeout',
    0,
    43200,
    numberAttribute(queue, 'VisibilityTimeout'),
  );
  const systemNames = [
    ...texts(call.input.AttributeNames),
    ...texts(call.input.MessageSystemAttributeNames),
  ];
  const attributeNames = texts(call.input.MessageAttributeNames);
  const deadline = Date.now() + wait * 1000;
  let messages = take(queue, max, visibility, cloud.now());
  while (messages.length === 0 && Date.now() < deadline && !isStopping(cloud)) {
    const now = cloud.now();
    // Wake when the next hidden message becomes visible again, if that comes first.
    const nextVisible = queue.messages.reduce((t, m) => Math.min(t, m.visibleAt), Infinity);
    const untilVisible = nextVisible === Infinity ? Infinity : Math.max(1, nextVisible - now);
    await waitForQueue(cloud, queue.arn, Math.min(deadline - Date.now(), untilVisible));
    queue = findQueue(cloud, call.input.QueueUrl, call.region);
    messages = take(queue, max, visibility, cloud.now());
  }
  if (messages.length === 0) return {};
  return {
    Messages: messages.map((m) => {
      const attributes: Record<string, string> = {};
      if (wantsAttribute(systemNames, 'SenderId')) attributes.SenderId = m.senderId;
      if (wantsAttribute(systemNames, 'SentTimestamp')) attributes.SentTimestamp = String(m.sentAt);
      if (wantsAttribute(systemNames, 'ApproximateReceiveCount'))
        attributes.ApproximateReceiveCount = String(m.receiveCount);
      if (
        wantsAttribute(systemNames, 'ApproximateFirstReceiveTimestamp') &&
        m.firstReceivedAt !== undefined
      ) {
        attributes.ApproximateFirstReceiveTimestamp = String(m.firstReceivedAt);
      }
      if (m.groupId !== undefined && wantsAttribute(systemNames, 'MessageGroupId'))
        attributes.MessageGroupId = m.groupId;
      if (
        m.deduplicationId !== undefined &&
        wantsAttribute(systemNames, 'MessageDeduplicationId')
      ) {
        attributes.MessageDeduplicationId = m.deduplicationId;
      }
      if (m.sequenceNumber !== undefined && wantsAttribute(systemNames, 'SequenceNumber'))
        attributes.SequenceNumber = m.sequenceNumber;
      const messageAttributes = selectedMessageAttributes(m.attributes, attributeNames);
      return {
        MessageId: m.id,
        ReceiptHandle: m.receiptHandle,
        MD5OfBody: m.md5OfBody,
        Body: m.body,
        ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
        ...(messageAttributes === undefined
          ? {}
          : { MessageAttributes: messageAttributes, MD5OfMessageAttributes: m.md5OfAttributes }),
      };
    }),
  };
};

function invalidHandle(handle: string): AwsError {
  return new AwsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );
}

/** The message a receipt handle names (undefined when deleted since), checking its format. */
function messageForHandle(
  queue: Queue,
  handle: unknown,
): { message?: StoredMessage; current: boolean } {
  const text = typeof handle === 'string' ? handle : '';
  const decoded = Buffer.from(text, 'base64').toString('utf8').split(' ');
  if (decoded.length !== 3 || decoded[0] !== queue.arn) throw invalidHandle(text);
  const message = queue.messages.find((m) => m.id === decoded[1]);
  return message === undefined
    ? { current: false }
    : { message, current: message.receiptHandle === text };
}

function deleteOne(queue: Queue, handle: unknown): void {
  const { message, current } = messageForHandle(queue, handle);
  // A stale handle succeeds without deleting, as SQS documents.
  if (message !== undefined && current)
    queue.messages = queue.messages.filter((m) => m !== message);
}

const deleteMessage: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:DeleteMessage');
  deleteOne(queue, call.input.ReceiptHandle);
  return Promise.resolve({});
};

const deleteMessageBatch: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:DeleteMessage');
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of batchEntries(call.input.Entries)) {
    const id = text(entry.Id);
    try {
      deleteOne(queue, entry.ReceiptHandle);
      Successful.push({ Id: id });
    } catch (error) {
      Failed.push(batchFailure(id, error));
    }
  }
  return Promise.resolve({ Successful, Failed });
};

function changeVisibility(cloud: Cloud, queue: Queue, handle: unknown, timeout: unknown): void {
  const seconds = integerParameter(timeout, 'VisibilityTimeout', 0, 43200, -1);
  if (seconds < 0)
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter VisibilityTimeout.',
    );
  const { message, current } = messageForHandle(queue, handle);
  if (message === undefined || !current) throw invalidHandle(text(handle));
  const now = cloud.now();
  if (!message.inFlight || message.visibleAt <= now) {
    throw new AwsError(
      'MessageNotInflight',
      'Message does not exist or is not available for visibility timeout change.',
    );
  }
  message.visibleAt = now + seconds * 1000;
  if (seconds === 0) {
    message.inFlight = false;
    notifyQueue(cloud, queue.arn);
  }
}

const changeMessageVisibility: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:ChangeMessageVisibility');
  changeVisibility(cloud, queue, call.input.ReceiptHandle, call.input.VisibilityTimeout);
  return Promise.resolve({});
};

const changeMessageVisibilityBatch: Handler = (call, cloud) => {
  const queue = authorizedQueue(cloud, call, 'sqs:ChangeMessageVisibility');
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of batchEntries(call.input.Entries)) {
    const id = text(entry.Id);
    try {
      changeVisibility(cloud, queue, entry.ReceiptHandle, entry.VisibilityTimeout);
      Successful.push({ Id: id });
    } catch (error) {
      Failed.push(batchFailure(id, error));
    }
  }
  return Promise.resolve({ Successful, Failed });
};

export const messageHandlers: Record<string, Handler> = {
  SendMessage: sendMessage,
  SendMessageBatch: sendMessageBatch,
  ReceiveMessage: receiveMessage,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  ChangeMessageVisibility: changeMessageVisibility,
  ChangeMessageVisibilityBatch: changeMessageVisibilityBatch,
};
