/**
 * The condition operators IAM documents: names, the value types they accept, and how one
 * policy value compares with one request value.
 */
import { arnMatchesParts, parseArn } from './arn.ts';
import { ipInNetwork, parseIpNetwork } from './ip-address.ts';
import { hasVariables, partsText } from './variables.ts';
import { matchesPatternParts, type PatternPart } from './wildcard.ts';

/** The positive comparison an operator performs; negated operators invert it. */
export type Comparison =
  | 'StringEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringLike'
  | 'NumericEquals'
  | 'NumericLessThan'
  | 'NumericLessThanEquals'
  | 'NumericGreaterThan'
  | 'NumericGreaterThanEquals'
  | 'DateEquals'
  | 'DateLessThan'
  | 'DateLessThanEquals'
  | 'DateGreaterThan'
  | 'DateGreaterThanEquals'
  | 'Bool'
  | 'BinaryEquals'
  | 'IpAddress'
  | 'ArnLike'
  | 'Null';

export type ValueType = 'String' | 'Numeric' | 'Date' | 'Bool' | 'Binary' | 'Ip' | 'Arn' | 'Null';

interface OperatorSpec {
  comparison: Comparison;
  negated: boolean;
  type: ValueType;
}

const spec = (comparison: Comparison, type: ValueType, negated = false): OperatorSpec => ({
  comparison,
  negated,
  type,
});

/** Every base operator (without `IfExists` or a set prefix). */
export const BASE_OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  StringEquals: spec('StringEquals', 'String'),
  StringNotEquals: spec('StringEquals', 'String', true),
  StringEqualsIgnoreCase: spec('StringEqualsIgnoreCase', 'String'),
  StringNotEqualsIgnoreCase: spec('StringEqualsIgnoreCase', 'String', true),
  StringLike: spec('StringLike', 'String'),
  StringNotLike: spec('StringLike', 'String', true),
  NumericEquals: spec('NumericEquals', 'Numeric'),
  NumericNotEquals: spec('NumericEquals', 'Numeric', true),
  NumericLessThan: spec('NumericLessThan', 'Numeric'),
  NumericLessThanEquals: spec('NumericLessThanEquals', 'Numeric'),
  NumericGreaterThan: spec('NumericGreaterThan', 'Numeric'),
  NumericGreaterThanEquals: spec('NumericGreaterThanEquals', 'Numeric'),
  DateEquals: spec('DateEquals', 'Date'),
  DateNotEquals: spec('DateEquals', 'Date', true),
  DateLessThan: spec('DateLessThan', 'Date'),
  DateLessThanEquals: spec('DateLessThanEquals', 'Date'),
  DateGreaterThan: spec('DateGreaterThan', 'Date'),
  DateGreaterThanEquals: spec('DateGreaterThanEquals', 'Date'),
  Bool: spec('Bool', 'Bool'),
  BinaryEquals: spec('BinaryEquals', 'Binary'),
  IpAddress: spec('IpAddress', 'Ip'),
  NotIpAddress: spec('IpAddress', 'Ip', true),
  ArnEquals: spec('ArnLike', 'Arn'),
  ArnLike: spec('ArnLike', 'Arn'),
  ArnNotEquals: spec('ArnLike', 'Arn', true),
  ArnNotLike: spec('ArnLike', 'Arn', true),
  Null: spec('Null', 'Null'),
};

export type SetOperator = 'ForAllValues' | 'ForAnyValue';

/** An operator as written, e.g. `ForAnyValue:StringNotLikeIfExists`, taken apart. */
export interface ConditionOperator extends OperatorSpec {
  name: string;
  base: string;
  ifExists: boolean;
  set?: SetOperator;
}

/** Parses an operator name (case-sensitive, as AWS spells them); undefined if unknown. */
export function parseConditionOperator(name: string): ConditionOperator | undefined {
  let rest = name;
  let set: SetOperator | undefined;
  for (const prefix of ['ForAllValues', 'ForAnyValue'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (!Object.hasOwn(BASE_OPERATORS, rest)) return undefined;
  // Null already tests existence; AWS has no NullIfExists.
  if (rest === 'Null' && ifExists) return undefined;
  const base = BASE_OPERATORS[rest]!;
  return { ...base, name, base: rest, ifExists, ...(set ? { set } : {}) };
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const ISO_DATE =
  /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;
const EPOCH = /^\d+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses a number as the Numeric operators do; undefined if not numeric. */
export function parseNumber(text: string): number | undefined {
  return NUMERIC.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** Parses a date as the Date operators do (ISO 8601 or epoch seconds) to epoch milliseconds. */
export function parseDate(text: string): number | undefined {
  const t = text.trim();
  if (EPOCH.test(t) && t.length !== 4) return Number(t) * 1000;
  if (!ISO_DATE.test(t)) return undefined;
  // Date-only and month-only forms are UTC in ECMAScript; date-times without a zone are UTC in IAM.
  const withZone = t.includes('T') && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? `${t}Z` : t;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseBool(text: string): boolean | undefined {
  const t = text.toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/** Why `value` is not acceptable for an operator of `type`; undefined when it is. */
export function conditionValueProblem(type: ValueType, value: string): string | undefined {
  // Variables are resolved at request time; only their syntax can be checked here.
  if (hasVariables(value) && (type === 'String' || type === 'Arn')) return undefined;
  switch (type) {
    case 'String':
      return undefined;
    case 'Numeric':
      return parseNumber(value) === undefined ? `"${value}" is not a number` : undefined;
    case 'Date':
      return parseDate(value) === undefined
        ? `"${value}" is not a date (ISO 8601, e.g. 2026-01-31T12:00:00Z, or epoch seconds)`
        : undefined;
    case 'Bool':
    case 'Null':
      return parseBool(value) === undefined ? `"${value}" is not "true" or "false"` : undefined;
    case 'Binary':
      return BASE64.test(value) ? undefined : `"${value}" is not base64`;
    case 'Ip':
      return parseIpNetwork(value) === undefined
        ? `"${value}" is not an IPv4 or IPv6 address or CIDR block`
        : undefined;
    case 'Arn':
      return value === '*' || parseArn(value) ? undefined : `"${value}" is not an ARN`;
  }
}

function compareNumbers(c: Comparison, a: number, b: number): boolean {
  switch (c) {
    case 'NumericEquals':
    case 'DateEquals':
      return a === b;
    case 'NumericLessThan':
    case 'DateLessThan':
      return a < b;
    case 'NumericLessThanEquals':
    case 'DateLessThanEquals':
      return a <= b;
    case 'NumericGreaterThan':
    case 'DateGreaterThan':
      return a > b;
    default:
      return a >= b;
  }
}

/**
 * The positive comparison of one request value with one policy value (already
 * variable-substituted into parts). Returns undefined when the request value cannot be read
 * as the operator's type (a number that is not a number, …): such a condition never matches.
 */
export function compareValue(
  comparison: Comparison,
  policy: readonly PatternPart[],
  requestValue: string,
): boolean | undefined {
  switch (comparison) {
    case 'StringEquals':
      return partsText(policy) === requestValue;
    case 'StringEqualsIgnoreCase':
      return partsText(policy).toLowerCase() === requestValue.toLowerCase();
    case 'StringLike':
      return matchesPatternParts(policy, requestValue);
    case 'NumericEquals':
    case 'NumericLessThan':
    case 'NumericLessThanEquals':
    case 'NumericGreaterThan':
    case 'NumericGreaterThanEquals': {
      const want = parseNumber(partsText(policy));
      const got = parseNumber(requestValue);
      if (want === undefined || got === undefined) return undefined;
      return compareNumbers(comparison, got, want);
    }
    case 'DateEquals':
    case 'DateLessThan':
    case 'DateLessThanEquals':
    case 'DateGreaterThan':
    case 'DateGreaterThanEquals': {
      const want = parseDate(partsText(policy));
      const got = parseDate(requestValue);
      if (want === undefined || got === undefined) return undefined;
      return compareNumbers(comparison, got, want);
    }
    case 'Bool': {
      const want = parseBool(partsText(policy));
      const got = parseBool(requestValue);
      if (want === undefined || got === undefined) return undefined;
      return want === got;
    }
    case 'BinaryEquals':
      return partsText(policy) === requestValue;
    case 'IpAddress': {
      const network = parseIpNetwork(partsText(policy));
      const ip = parseIpNetwork(requestValue);
      if (!network || !ip) return undefined;
      return ipInNetwork(network, ip);
    }
    case 'ArnLike':
      if (!parseArn(requestValue)) return undefined;
      return arnMatchesParts(policy, requestValue);
    case 'Null':
      // Null is decided on the key's presence, never on a value (see conditions.ts).
      return undefined;
  }
}
