/**
 * Resource policies (queue and topic policies) as stored attributes: validated when set,
 * turned into a named policy when a request is authorized.
 */
import { parsePolicy } from '@ferry/iam';
import type { NamedPolicy } from '@ferry/iam';
import { AwsError } from './contract.ts';

/** Throws `code` naming the first problem when `text` is not a valid resource policy. */
export function checkResourcePolicy(text: string, code: string, attribute = 'Policy'): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AwsError(code, `Invalid value for the parameter ${attribute}: not valid JSON.`);
  }
  const parsed = parsePolicy(json, 'resource');
  if (!parsed.ok) {
    const problem = parsed.problems[0];
    throw new AwsError(
      code,
      `Invalid value for the parameter ${attribute}: ${problem ? `${problem.path}: ${problem.message}` : 'invalid policy'}.`,
    );
  }
}

/** The stored policy text as a named policy, or undefined when absent or unreadable. */
export function namedResourcePolicy(
  name: string,
  text: string | undefined,
): NamedPolicy | undefined {
  if (text === undefined || text === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = parsePolicy(json, 'resource');
  return parsed.ok ? { name, document: parsed.policy } : undefined;
}
