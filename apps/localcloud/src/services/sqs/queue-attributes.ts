/**
 * Queue attributes: defaults as SQS creates them, validation of settable ones, and the
 * computed ones (ARN, counts, timestamps) GetQueueAttributes returns.
 */
import { AwsError } from '../../core/contract.ts';
import type { Queue } from './queue-store.ts';

/** Settable attributes with their defaults (standard queues). */
export const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
};

const INTEGER_RANGES: Record<string, [number, number]> = {
  VisibilityTimeout: [0, 43200],
  MaximumMessageSize: [1024, 262144],
  MessageRetentionPeriod: [60, 1209600],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};

const BOOLEAN_ATTRIBUTES = new Set([
  'FifoQueue',
  'ContentBasedDeduplication',
  'SqsManagedSseEnabled',
]);
const FREE_ATTRIBUTES = new Set([
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

const COMPUTED_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
];

function invalidValue(name: string): AwsError {
  return new AwsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
}

/**
 * Validates attributes given to CreateQueue/SetQueueAttributes and returns them normalised.
 * `Policy` must be a JSON document; `policyCheck` validates it further (resource policy).
 */
export function validateAttributes(
  input: unknown,
  fifo: boolean,
  creating: boolean,
  policyCheck: (text: string) => void,
): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object')
    throw new AwsError('InvalidParameterValue', 'Attributes must be a map.');
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    const value = typeof raw === 'string' ? raw : String(raw);
    const range = INTEGER_RANGES[name];
    if (range !== undefined) {
      if (!/^-?\d+$/.test(value)) throw invalidValue(name);
      const n = Number(value);
      if (n < range[0] || n > range[1]) throw invalidValue(name);
      out[name] = String(n);
    } else if (BOOLEAN_ATTRIBUTES.has(name)) {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw invalidValue(name);
      if (name === 'FifoQueue') {
        if (!creating) throw invalidValue(name);
        if ((lower === 'true') !== fifo) {
          throw new AwsError(
            'InvalidParameterValue',
            'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
          );
        }
      }
      if (name === 'ContentBasedDeduplication' && !fifo) throw unknownAttribute(name);
      out[name] = lower;
    } else if (FREE_ATTRIBUTES.has(name)) {
      if (name === 'Policy' && value !== '') policyCheck(value);
      out[name] = value;
    } else {
      throw unknownAttribute(name);
    }
  }
  return out;
}

function unknownAttribute(name: string): AwsError {
  return new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
}

/** Every attribute of the queue, settable and computed, as strings. */
export function allAttributes(queue: Queue, now: number): Record<string, string> {
  let visible = 0;
  let notVisible = 0;
  let delayed = 0;
  for (const m of queue.messages) {
    if (m.inFlight && m.visibleAt > now) notVisible++;
    else if (m.visibleAt > now) delayed++;
    else visible++;
  }
  return {
    ...queue.attributes,
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(visible),
    ApproximateNumberOfMessagesNotVisible: String(notVisible),
    ApproximateNumberOfMessagesDelayed: String(delayed),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
  };
}

/** The attributes named in GetQueueAttributes (`All` for every one). */
export function selectAttributes(
  queue: Queue,
  names: unknown,
  now: number,
): Record<string, string> | undefined {
  const list = Array.isArray(names) ? (names as unknown[]).map(String) : [];
  if (list.length === 0) return undefined;
  const all = allAttributes(queue, now);
  if (list.includes('All')) return all;
  const out: Record<string, string> = {};
  for (const name of list) {
    if (
      !(name in all) &&
      !(name in INTEGER_RANGES) &&
      !BOOLEAN_ATTRIBUTES.has(name) &&
      !FREE_ATTRIBUTES.has(name) &&
      !COMPUTED_ATTRIBUTES.includes(name)
    ) {
      throw unknownAttribute(name);
    }
    const value = all[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function numberAttribute(queue: Queue, name: string): number {
  return Number(queue.attributes[name] ?? DEFAULT_ATTRIBUTES[name] ?? '0');
}
