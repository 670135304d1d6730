/**
 * The condition context of a request: the caller's keys, looked up case-insensitively, plus
 * the keys AWS always sets from the principal when the caller did not pass them.
 */
import { parseArn } from './arn.ts';
import type { ConditionContext, ContextValue } from './conditions.ts';
import type { EvaluationRequest } from './types.ts';

/** Keys AWS derives from the authenticated principal (caller-provided values take precedence). */
export function principalContextKeys(
  request: Pick<EvaluationRequest, 'principal'>,
): Record<string, string> {
  const { principal } = request;
  const keys: Record<string, string> = {};
  if (principal.service) {
    keys['aws:PrincipalServiceName'] = principal.service;
    return keys;
  }
  keys['aws:PrincipalArn'] = principal.principalArn;
  keys['aws:PrincipalAccount'] = principal.accountId;
  const arn = parseArn(principal.principalArn);
  if (arn?.service === 'iam' && arn.resource.startsWith('user/')) {
    const name = arn.resource.split('/').pop();
    if (name) keys['aws:username'] = name;
  }
  return keys;
}

/** Builds the case-insensitive lookup used by conditions and policy variables. */
export function createConditionContext(request: EvaluationRequest): RequestConditionContext {
  const map = new Map<string, ContextValue>();
  for (const [k, v] of Object.entries(principalContextKeys(request))) map.set(k.toLowerCase(), v);
  for (const [k, v] of Object.entries(request.context)) {
    if (v !== undefined) map.set(k.toLowerCase(), v);
  }
  const value = (key: string): ContextValue | undefined => map.get(key.toLowerCase());
  // A multi-valued key has no single value to substitute; an empty one counts as absent.
  const resolve = (key: string): string | undefined => {
    const v = value(key);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  return { value, resolve };
}

/** Context lookups shared by every policy of one request. */
export interface RequestConditionContext {
  value: (key: string) => ContextValue | undefined;
  resolve: (key: string) => string | undefined;
}

/** The condition context for one policy: variables are substituted only in Version 2012-10-17. */
export function conditionContextFor(
  base: RequestConditionContext,
  version: string,
): ConditionContext {
  return version === '2012-10-17'
    ? { value: base.value, resolver: base.resolve }
    : { value: base.value };
}
