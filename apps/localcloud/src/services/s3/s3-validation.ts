/**
 * Input rules S3 enforces before anything else: bucket naming rules and bucket policy
 * documents (validated with @ferry/iam as resource policies that must name this bucket).
 */
import { parsePolicy } from '@ferry/iam';
import { S3Error } from './s3-error.ts';

/** AWS's general purpose bucket naming rules; throws InvalidBucketName. */
export function validateBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) {
    throw new S3Error('InvalidBucketName', `The specified bucket is not valid: ${problem}.`, 400, {
      BucketName: name,
    });
  }
}

function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'the name must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) {
    return 'only lowercase letters, numbers, dots and hyphens are allowed';
  }
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name))
    return 'the name must begin and end with a letter or number';
  if (name.includes('..')) return 'the name must not contain two adjacent periods';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'the name must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.startsWith('amzn-s3-demo-')) {
    return 'the name uses a reserved prefix';
  }
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) {
    return 'the name uses a reserved suffix';
  }
  return undefined;
}

const MAX_POLICY_BYTES = 20 * 1024;

function malformedPolicy(message: string): S3Error {
  return new S3Error('MalformedPolicy', message, 400);
}

/**
 * Validates a bucket policy as S3 does: a resource policy (Principal required) no larger than
 * 20 KB, whose every Resource is this bucket or objects in it.
 */
export function validateBucketPolicy(text: string, bucket: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw malformedPolicy('Policies must be no more than 20 KB in size');
  }
  const parsed = parsePolicy(text, 'resource');
  if (!parsed.ok) {
    const first = parsed.problems[0];
    const where = first?.path ? `${first.path}: ` : '';
    throw malformedPolicy(`${where}${first?.message ?? 'invalid policy'}`);
  }
  const bucketArn = `arn:aws:s3:::${bucket}`;
  for (const [index, statement] of parsed.policy.Statement.entries()) {
    const resources = statement.Resource ?? statement.NotResource ?? [];
    if (resources.length === 0) {
      throw malformedPolicy(`Statement[${index}]: Missing required field Resource`);
    }
    for (const resource of resources) {
      if (resource !== bucketArn && !resource.startsWith(`${bucketArn}/`)) {
        throw malformedPolicy(`Statement[${index}]: Policy has invalid resource ${resource}`);
      }
    }
  }
}
