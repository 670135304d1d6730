/**
 * The platform's AWS failures in the operator's words: no credentials, credentials AWS
 * refuses, an endpoint that does not answer — each naming the setting to fix, not a stack.
 */
import { CliError } from '../cli-command.ts';
import { EXIT } from '../exit-codes.ts';

const REFUSED = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
]);

/** A CliError for an AWS failure of the platform's own credentials, or undefined. */
export function platformAwsError(
  error: unknown,
  endpoint: string | undefined,
): CliError | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'CredentialsProviderError')
    return new CliError(
      'missing_option',
      'the platform has no AWS credentials: set FERRY_AWS_ACCESS_KEY_ID and FERRY_AWS_SECRET_ACCESS_KEY (or the AWS SDK’s own AWS_* settings)',
    );
  if (REFUSED.has(error.name))
    return new CliError(
      'aws_refused',
      `AWS refused the platform’s credentials (${error.name}: ${error.message}): check FERRY_AWS_ACCESS_KEY_ID, FERRY_AWS_SECRET_ACCESS_KEY${endpoint !== undefined ? ' and FERRY_AWS_ENDPOINT_URL' : ''}, and that the principal may manage SNS, SQS and S3`,
      EXIT.auth,
    );
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET')
    return new CliError(
      'unreachable',
      `cannot reach AWS${endpoint !== undefined ? ` at ${endpoint}` : ''} (${String(code)}): check FERRY_AWS_ENDPOINT_URL and FERRY_AWS_REGION`,
    );
  return undefined;
}
