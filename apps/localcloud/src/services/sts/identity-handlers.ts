/**
 * GetCallerIdentity, GetAccessKeyInfo and DecodeAuthorizationMessage.
 */
import type { Handler } from '../../core/contract.ts';
import { AwsError } from '../../core/contract.ts';
import { decodeAuthorizationMessage } from '../../core/authorizer.ts';

/** Needs no permission, as in AWS. */
export const GetCallerIdentity: Handler = (call) => ({
  UserId: call.caller.userId,
  Account: call.caller.accountId,
  Arn: call.caller.arn,
});

export const GetAccessKeyInfo: Handler = (call, cloud) => {
  cloud.authorize(call, 'sts:GetAccessKeyInfo', '*');
  const id = call.input.AccessKeyId;
  if (typeof id !== 'string' || id.length < 16)
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16",
    );
  const record = cloud.credentials.get(id);
  if (!record) throw new AwsError('InvalidParameterValue', 'The access key is not valid.');
  return { Account: record.accountId };
};

export const DecodeAuthorizationMessage: Handler = (call, cloud) => {
  cloud.authorize(call, 'sts:DecodeAuthorizationMessage', '*');
  const encoded = call.input.EncodedMessage;
  const decoded = typeof encoded === 'string' ? decodeAuthorizationMessage(encoded) : undefined;
  if (!decoded)
    throw new AwsError(
      'InvalidAuthorizationMessageException',
      'The message is not a valid encoded authorization message.',
    );
  return { DecodedMessage: decoded };
};
