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

/** Temporary credentials of the calling IAM user (not callable with session credentials). */
export const GetSessionToken: Handler = (call, cloud) => {
  const { caller } = call;
  cloud.authorize(call, 'sts:GetSessionToken', '*');
  if (caller.kind !== 'user' || caller.accessKeyId.startsWith('ASIA'))
    throw new AwsError('AccessDenied', 'Cannot call GetSessionToken with session credentials', 403);
  const duration =
    call.input.DurationSeconds === undefined ? 43200 : Number(call.input.DurationSeconds);
  if (!Number.isInteger(duration) || duration < 900 || duration > 129600)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600`,
    );
  const now = cloud.now();
  const record = cloud.credentials.issue(
    caller.accountId,
    { type: 'user-session', userName: caller.arn.split('/').pop() as string },
    now,
    now + duration * 1000,
  );
  return {
    Credentials: {
      AccessKeyId: record.accessKeyId,
      SecretAccessKey: record.secretAccessKey,
      SessionToken: record.sessionToken,
      Expiration: new Date(record.expiresAt ?? now),
    },
  };
};
