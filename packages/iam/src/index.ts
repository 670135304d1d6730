export * from './types.ts';
export { parsePolicy } from './parse-policy.ts';
export { evaluate, resourceAccountOf, statementApplies } from './evaluate.ts';
export { explainDecision, nearMisses } from './explain.ts';
export { parseArn, arnMatches, type ParsedArn } from './arn.ts';
export { matchesWildcard, type WildcardOptions } from './wildcard.ts';
export {
  actionsMatching,
  actionsOfService,
  isKnownAction,
  isKnownService,
  knownServices,
  actionCatalogSource,
} from './action-catalog.ts';
export { parseConditionOperator, type ConditionOperator } from './condition-operators.ts';
export { matchPrincipal, type PrincipalMatchKind } from './principal.ts';
export { principalContextKeys } from './request-context.ts';
