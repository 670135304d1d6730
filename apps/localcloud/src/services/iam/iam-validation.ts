/**
 * IAM's input rules and errors, worded as AWS words them.
 */
import { parsePolicy } from '@ferry/iam';
import type { PolicyKind } from '@ferry/iam';
import { AwsError } from '../../core/contract.ts';
import type { Tag } from './iam-state.ts';

export const NAME_PATTERN = /^[\w+=,.@-]+$/;

/** "1 validation error detected: Value 'x' at 'roleName' failed to satisfy constraint: …". */
export function validationError(value: unknown, field: string, constraint: string): AwsError {
  const shown =
    value === undefined ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

/** A required string input member. */
export function requireString(input: Record<string, unknown>, member: string): string {
  const v = input[member];
  const field = member.charAt(0).toLowerCase() + member.slice(1);
  if (typeof v !== 'string' || v === '') throw validationError(v, field, 'Member must not be null');
  return v;
}

/** An IAM entity name (user, role, policy, instance profile): `[\w+=,.@-]{1,max}`. */
export function requireName(input: Record<string, unknown>, member: string, max = 64): string {
  const v = requireString(input, member);
  const field = member.charAt(0).toLowerCase() + member.slice(1);
  if (v.length > max)
    throw validationError(v, field, `Member must have length less than or equal to ${max}`);
  if (!NAME_PATTERN.test(v))
    throw validationError(v, field, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  return v;
}

/** An IAM path: `/` or `/a/b/`, printable ASCII, at most 512 characters. */
export function pathOf(input: Record<string, unknown>, member = 'Path'): string {
  const v = input[member];
  if (v === undefined || v === '') return '/';
  if (typeof v !== 'string' || v.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(v))
    throw validationError(
      v,
      'path',
      'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
  return v;
}

/** Tags input (`Tags`): at most 50, keys 1–128 and values 0–256 characters, keys unique. */
export function tagsOf(input: Record<string, unknown>, member = 'Tags'): Tag[] {
  const raw = input[member];
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError(raw, 'tags', 'Member must be a list');
  if (raw.length > 50)
    throw new AwsError('LimitExceeded', 'Cannot exceed quota for TagsPerRole: 50', 409);
  const seen = new Set<string>();
  return raw.map((t: unknown, i) => {
    const tag = t as Partial<Tag>;
    if (typeof tag.Key !== 'string' || tag.Key.length < 1 || tag.Key.length > 128)
      throw validationError(
        tag.Key,
        `tags.${i + 1}.member.key`,
        'Member must have length between 1 and 128',
      );
    const value = tag.Value ?? '';
    if (typeof value !== 'string' || value.length > 256)
      throw validationError(
        value,
        `tags.${i + 1}.member.value`,
        'Member must have length less than or equal to 256',
      );
    const lower = tag.Key.toLowerCase();
    if (seen.has(lower))
      throw new AwsError(
        'InvalidInput',
        `Duplicate tag keys found. Please note that Tag keys are case insensitive.`,
      );
    seen.add(lower);
    return { Key: tag.Key, Value: value };
  });
}

/** Validates a policy document; MalformedPolicyDocument naming the first problems. */
export function checkPolicy(
  text: string,
  kind: PolicyKind,
  code = 'MalformedPolicyDocument',
): void {
  const result = parsePolicy(text, kind);
  if (!result.ok) {
    const detail = result.problems
      .slice(0, 3)
      .map((p) => (p.path ? `${p.path}: ${p.message}` : p.message))
      .join('; ');
    throw new AwsError(code, `Syntax errors in policy. ${detail}`);
  }
}

/** Merges new tags into existing ones (same key replaces, case-insensitively as IAM does). */
export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const out = existing.filter(
    (e) => !added.some((a) => a.Key.toLowerCase() === e.Key.toLowerCase()),
  );
  return [...out, ...added];
}

export const noSuchEntity = (message: string) => new AwsError('NoSuchEntity', message, 404);
export const alreadyExists = (message: string) => new AwsError('EntityAlreadyExists', message, 409);
export const deleteConflict = (message: string) => new AwsError('DeleteConflict', message, 409);
