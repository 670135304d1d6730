/**
 * Messages one AWS service sends to another's resource on a customer's behalf (SNS to a
 * queue): the sender names the target by ARN, the target's service delivers and answers
 * whether it took the message. Senders never import the target service.
 */

/** A message attribute as services carry it (SQS's and SNS's shape). */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface ServiceDelivery {
  /** The target resource, e.g. a queue's ARN; its service part picks the delivering service. */
  targetArn: string;
  /** The sending service principal, e.g. `sns.amazonaws.com`. */
  service: string;
  sourceArn: string;
  sourceAccount: string;
  body: string;
  attributes?: Record<string, MessageAttribute>;
  groupId?: string;
  deduplicationId?: string;
}

export type DeliveryResult = { ok: true; messageId: string } | { ok: false; reason: string };

/** The service named in an ARN (`arn:aws:sqs:…` → `sqs`), or undefined for a malformed ARN. */
export function serviceOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[2] !== '' ? parts[2] : undefined;
}
