/**
 * Evaluates a statement's Condition block. Operators and keys are ANDed; the values listed
 * for one key are ORed (for negated operators: the request value must match none of them).
 */
import {
  compareValue,
  parseConditionOperator,
  type ConditionOperator,
} from './condition-operators.ts';
import type { ConditionBlock } from './types.ts';
import { substituteVariables, type VariableResolver } from './variables.ts';
import type { PatternPart } from './wildcard.ts';

/** The request as the condition evaluator sees it. */
export interface ConditionContext {
  /** Values of a context key (case-insensitive); undefined when the request lacks the key. */
  values(key: string): string[] | undefined;
  /** Resolves `${…}` variables, or undefined when variables are not substituted (Version 2008-10-17). */
  resolver?: VariableResolver;
}

/** The first condition that did not hold, for explanations. */
export interface ConditionFailure {
  operator: string;
  key: string;
  /** The request's values for the key; undefined when the key was absent. */
  requestValues?: string[];
}

export type ConditionResult = { matches: true } | { matches: false; failure: ConditionFailure };

function policyParts(
  operator: ConditionOperator,
  values: readonly string[],
  resolver: VariableResolver | undefined,
): PatternPart[][] {
  const out: PatternPart[][] = [];
  const substitutes = resolver && (operator.type === 'String' || operator.type === 'Arn');
  for (const v of values) {
    if (!substitutes) {
      out.push([{ text: v, literal: false }]);
      continue;
    }
    // A variable without a value makes that one policy value match nothing.
    const parts = substituteVariables(v, resolver);
    if (parts) out.push(parts);
  }
  return out;
}

/**
 * Whether a single request value satisfies the operator: for positive operators, it matches
 * one of the policy values; for negated ones, it matches none. Undefined when the request
 * value is not of the operator's type.
 */
function valueSatisfies(
  operator: ConditionOperator,
  policy: readonly PatternPart[][],
  requestValue: string,
): boolean | undefined {
  let any = false;
  for (const p of policy) {
    const r = compareValue(operator.comparison, p, requestValue);
    if (r === undefined) return undefined;
    if (r) {
      any = true;
      break;
    }
  }
  return operator.negated ? !any : any;
}

/** Evaluates one operator/key pair. */
export function evaluateCondition(
  operatorName: string,
  key: string,
  policyValues: readonly string[],
  context: ConditionContext,
): boolean {
  const operator = parseConditionOperator(operatorName);
  // Validation rejects unknown operators; an unvalidated one can never grant or deny.
  if (!operator) return false;
  const raw = context.values(key);
  const present = raw !== undefined && raw.length > 0;
  if (operator.comparison === 'Null') {
    // "true" asks for the key to be absent, "false" for it to be present.
    return policyValues.some((v) => (v.toLowerCase() === 'true') === !present);
  }
  if (!present) {
    if (operator.ifExists) return true;
    if (operator.set === 'ForAllValues') return true;
    if (operator.set === 'ForAnyValue') return false;
    // AWS: a negated operator on a missing key is true; any other operator is false.
    return operator.negated;
  }
  const policy = policyParts(operator, policyValues, context.resolver);
  switch (operator.set) {
    case 'ForAllValues':
      return raw.every((v) => valueSatisfies(operator, policy, v) === true);
    case 'ForAnyValue':
      return raw.some((v) => valueSatisfies(operator, policy, v) === true);
    default: {
      // Without a set operator a multi-valued key behaves as "any of its values".
      if (operator.negated) {
        return raw.every((v) => valueSatisfies(operator, policy, v) === true);
      }
      return raw.some((v) => valueSatisfies(operator, policy, v) === true);
    }
  }
}

/** Evaluates a whole Condition block (everything ANDed). */
export function evaluateConditions(
  block: ConditionBlock | undefined,
  context: ConditionContext,
): ConditionResult {
  if (!block) return { matches: true };
  for (const [operator, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      if (!evaluateCondition(operator, key, values, context)) {
        const requestValues = context.values(key);
        return {
          matches: false,
          failure: { operator, key, ...(requestValues ? { requestValues } : {}) },
        };
      }
    }
  }
  return { matches: true };
}
