import { AwsError } from '../../core/contract.ts';

/** A client error with EC2's wire code (`InvalidVpcID.NotFound`, `InvalidParameterValue`, …). */
export function ec2Error(code: string, message: string, status = 400): AwsError {
  return new AwsError(code, message, status);
}

/** `MissingParameter` naming the request member that was absent. */
export function missing(name: string): AwsError {
  return ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
}

/** `InvalidParameterValue` naming the member and the bad value. */
export function invalidValue(name: string, value: unknown, why?: string): AwsError {
  return ec2Error(
    'InvalidParameterValue',
    `Value (${String(value)}) for parameter ${name} is invalid.${why ? ` ${why}` : ''}`,
  );
}

/** `<Kind>.NotFound` with AWS's message, e.g. `The vpc ID 'vpc-1' does not exist`. */
export function notFound(code: string, what: string, id: string): AwsError {
  return ec2Error(code, `The ${what} '${id}' does not exist`);
}

/** Reads a required string member, or throws MissingParameter. */
export function requireString(input: Record<string, unknown>, name: string): string {
  const v = input[name];
  if (typeof v !== 'string' || v === '') throw missing(name);
  return v;
}

/** Reads an optional string member. */
export function optString(input: Record<string, unknown>, name: string): string | undefined {
  const v = input[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Reads an optional list of strings. */
export function optStrings(input: Record<string, unknown>, name: string): string[] {
  const v = input[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
