/**
 * The replay window of SigV4. AWS refuses a header-signed request whose `X-Amz-Date` is more
 * than 15 minutes from its clock, each service in its own words: S3 `RequestTimeTooSkewed`
 * (403), EC2 `RequestExpired` (400), Kinesis `InvalidSignatureException` (400), the others
 * `SignatureDoesNotMatch` (403) with "Signature expired: …" / "Signature not yet current: …".
 * A presigned URL is good from its `X-Amz-Date` (15 minutes of skew allowed) until
 * `X-Amz-Date + X-Amz-Expires`.
 */
import { AwsError } from './contract.ts';
import type { SignatureInfo } from './sigv4.ts';
import { parseAmzDate } from './sigv4.ts';

/** AWS's allowed clock skew. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** `YYYYMMDDTHHMMSSZ` of an epoch time. */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function skewError(service: string, message: string): AwsError {
  if (service === 's3')
    return new AwsError(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      403,
    );
  if (service === 'ec2') return new AwsError('RequestExpired', 'Request has expired.', 400);
  if (service === 'kinesis') return new AwsError('InvalidSignatureException', message, 400);
  return new AwsError('SignatureDoesNotMatch', message, 403);
}

/** Throws the service's error when the request is outside its time window at `now`. */
export function checkRequestTime(sig: SignatureInfo, now: number): void {
  const signedAt = parseAmzDate(sig.amzDate).getTime();
  if (sig.presigned) {
    const until = signedAt + (sig.expires ?? 900) * 1000;
    if (sig.service === 's3') {
      if (signedAt > now + MAX_SKEW_MS)
        throw new AwsError('AccessDenied', 'Request is not yet valid', 403);
      if (until < now) throw new AwsError('AccessDenied', 'Request has expired', 403);
      return;
    }
    if (signedAt > now + MAX_SKEW_MS) {
      throw skewError(
        sig.service,
        `Signature not yet current: ${sig.amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`,
      );
    }
    if (until < now) {
      throw skewError(
        sig.service,
        `Signature expired: ${sig.amzDate} is now earlier than ${formatAmzDate(now - (sig.expires ?? 900) * 1000)} (${formatAmzDate(now)} - ${sig.expires ?? 900} sec.)`,
      );
    }
    return;
  }
  if (signedAt < now - MAX_SKEW_MS) {
    throw skewError(
      sig.service,
      `Signature expired: ${sig.amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  if (signedAt > now + MAX_SKEW_MS) {
    throw skewError(
      sig.service,
      `Signature not yet current: ${sig.amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}
