/**
 * Values in the permission registry are written once, symbolically, and rendered two ways:
 * as CloudFormation expressions (the customer template) and as concrete strings (the
 * verifier, the tests, a denial explanation). A pattern names stack values as `${Name}`.
 */

import { resultsBucketName } from './results-bucket.ts';

/** Single-valued names a pattern may use. */
export const SCALAR_REFS = [
  'Partition',
  'Region',
  'AccountId',
  'WorkspaceId',
  'VpcId',
  'DirectSecurityGroupId',
  'ProxySecurityGroupId',
  'WorkerRoleArn',
  'WorkerInstanceProfileArn',
  'PlatformPrincipalArn',
  'ExternalId',
  'PhoneHomeTopicArn',
  'PhoneHomeQueueArn',
  'ResultsBucket',
] as const;
export type ScalarRef = (typeof SCALAR_REFS)[number];

/** Multi-valued names (a list parameter or several resources). */
export const LIST_REFS = ['SubnetIds', 'WorkerBuckets'] as const;
export type ListRef = (typeof LIST_REFS)[number];

/** A string with `${ScalarRef}` placeholders, e.g. `arn:${Partition}:ec2:${Region}:${AccountId}:instance/*`. */
export type Pattern = string;

/** The whole list a list name stands for (condition values, e.g. the stack's subnet ids). */
export interface ListValue {
  list: ListRef;
}

/**
 * One value per list item (`${item}` in `pattern`), or `whenEmpty` when the list is empty —
 * how "these buckets, or all buckets when none are named" is written.
 */
export interface EachValue {
  each: ListRef;
  pattern: Pattern;
  whenEmpty: Pattern;
}

export type ScopeValue = Pattern | ListValue | EachValue;

/** Concrete values for the names, e.g. of one deployed stack. */
export type ScopeValues = Partial<Record<ScalarRef, string>> & Partial<Record<ListRef, string[]>>;

/** Raised when a value cannot be resolved; `code` is stable. */
export class ScopeValueError extends Error {
  readonly code = 'SCOPE_VALUE_UNRESOLVED';
  constructor(message: string) {
    super(message);
    this.name = 'ScopeValueError';
  }
}

const PLACEHOLDER = /\$\{([A-Za-z]+)\}/g;

export const isListValue = (v: ScopeValue): v is ListValue => typeof v === 'object' && 'list' in v;
export const isEachValue = (v: ScopeValue): v is EachValue => typeof v === 'object' && 'each' in v;

/** The names a pattern uses, in order of appearance. */
export function patternRefs(pattern: Pattern): string[] {
  return [...pattern.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** The results bucket's name follows from the account and the workspace when not given. */
function derived(name: string, values: ScopeValues): string | undefined {
  if (name !== 'ResultsBucket' || !values.AccountId || !values.WorkspaceId) return undefined;
  try {
    return resultsBucketName(values.AccountId, values.WorkspaceId);
  } catch {
    return undefined;
  }
}

/** Substitutes `${Name}` (and `${item}` when given) in a pattern. */
export function resolvePattern(pattern: Pattern, values: ScopeValues, item?: string): string {
  return pattern.replace(PLACEHOLDER, (_all, name: string) => {
    if (name === 'item' && item !== undefined) return item;
    const value =
      (values as Record<string, string | string[] | undefined>)[name] ?? derived(name, values);
    if (typeof value !== 'string' || value === '') {
      throw new ScopeValueError(`no value for \${${name}} in "${pattern}"`);
    }
    return value;
  });
}

/** Resolves a scope value to the concrete strings it stands for. */
export function resolveScopeValue(value: ScopeValue, values: ScopeValues): string[] {
  if (typeof value === 'string') return [resolvePattern(value, values)];
  const list = values[isListValue(value) ? value.list : value.each];
  if (!Array.isArray(list)) {
    const name = isListValue(value) ? value.list : value.each;
    throw new ScopeValueError(`no value for list ${name}`);
  }
  if (isListValue(value)) return [...list];
  const items = list.filter((i) => i !== '');
  if (items.length === 0) return [resolvePattern(value.whenEmpty, values)];
  return items.map((i) => resolvePattern(value.pattern, values, i));
}
