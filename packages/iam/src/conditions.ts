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

/** A context key's value as the request carries it. */
export type ContextValue = string | readonly string[];

/** The request as the condition evaluator sees it. */
export interface ConditionContext {
  /** The value of a context key (case-insensitive); undefined when the request lacks the key. */
  value(key: string): ContextValue | undefined;
  /** Resolves `${…}` variables, or undefined when variables are not substituted (Version 2008-10-17). */
  resolver?: VariableResolver;
}

/** The first condition that did not hold, for explanations. */
export interface ConditionFailure {
  operator: string;
  key: string;
  /** The request's value for the key; undefined when the key was absent. */
  requestValue?: ContextValue;
}

export type ConditionResult = { matches: true } | { matches: false; failure: ConditionFailure };

/** Policy values after variable substitution; undefined marks a variable without a value. */
function policyParts(
  operator: ConditionOperator,
  values: readonly string[],
  resolver: VariableResolver | undefined,
): (PatternPart[] | undefined)[] {
  const substitutes = resolver && (operator.type === 'String' || operator.type === 'Arn');
  return values.map((v) =>
    substitutes ? substituteVariables(v, resolver) : [{ text: v, literal: false }],
  );
}

/**
 * Whether one request value satisfies the operator. Positive operators need one policy value
 * to match; negated operators need every policy value not to match. A policy value that
 * cannot be compared (a variable without a value, a request value of the wrong type) counts
 * as failed either way, so it can never make a condition true.
 */
function valueSatisfies(
  operator: ConditionOperator,
  policy: readonly (PatternPart[] | undefined)[],
  requestValue: string,
): boolean {
  const results = policy.map((p) =>
    p === undefined ? undefined : compareValue(operator.comparison, p, requestValue),
  );
  if (operator.negated) return results.every((r) => r === false);
  return results.some((r) => r === true);
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
  const raw = context.value(key);
  if (operator.comparison === 'Null') {
    // "true" asks for the key to be absent, "false" for it to be present.
    return policyValues.some((v) => (v.toLowerCase() === 'true') === (raw === undefined));
  }
  if (raw === undefined) {
    if (operator.ifExists) return true;
    if (operator.set === 'ForAllValues') return true;
    if (operator.set === 'ForAnyValue') return false;
    // AWS: a negated operator on a missing key is true; any other operator is false.
    return operator.negated;
  }
  const policy = policyParts(operator, policyValues, context.resolver);
  if (operator.set === undefined) {
    // A multi-valued key needs a set operator: without one the condition never matches.
    return typeof raw === 'string' && valueSatisfies(operator, policy, raw);
  }
  const values = typeof raw === 'string' ? [raw] : raw;
  return operator.set === 'ForAllValues'
    ? values.every((v) => valueSatisfies(operator, policy, v))
    : values.some((v) => valueSatisfies(operator, policy, v));
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
        const requestValue = context.value(key);
        return {
          matches: false,
          failure: { operator, key, ...(requestValue !== undefined ? { requestValue } : {}) },
        };
      }
    }
  }
  return { matches: true };
}
