/**
 * Request evaluation with AWS's documented logic ("Policy evaluation logic" in the IAM User
 * Guide): an explicit Deny anywhere wins; otherwise same-account requests are allowed by an
 * identity policy or by a resource policy that names the caller; cross-account requests need
 * both; session policies narrow what identity policies grant.
 */
import { arnMatchesParts, parseArn } from './arn.ts';
import { evaluateConditions, type ConditionFailure } from './conditions.ts';
import { matchPrincipal, type PrincipalMatchKind } from './principal.ts';
import {
  conditionContextFor,
  createConditionContext,
  type RequestConditionContext,
} from './request-context.ts';
import type {
  Decision,
  EvaluationRequest,
  MatchedStatement,
  NamedPolicy,
  Statement,
} from './types.ts';
import { hasVariables, substituteVariables, type VariableResolver } from './variables.ts';
import { matchesWildcard, type PatternPart } from './wildcard.ts';

type Source = MatchedStatement['source'];

interface Applied {
  statement: MatchedStatement;
  /** For resource policies: how the Principal element named the caller. */
  principal?: PrincipalMatchKind;
}

function actionMatches(patterns: readonly string[], action: string): boolean {
  return patterns.some((p) => matchesWildcard(p, action, { caseInsensitive: true }));
}

/** A Resource pattern after variable substitution. */
type ResolvedResource =
  | { parts: PatternPart[] }
  /** A variable had no value; `head` is the ARN up to the fifth colon, still comparable. */
  | { unresolved: true; head: string };

/**
 * Resource patterns with variables substituted. IAM substitutes only in the resource part of
 * an ARN (after the fifth colon).
 */
function resolveResources(
  patterns: readonly string[],
  resolve: VariableResolver | undefined,
): ResolvedResource[] {
  return patterns.map((p) => {
    const whole = { parts: [{ text: p, literal: false }] };
    if (!resolve || !hasVariables(p)) return whole;
    let cut = -1;
    for (let i = 0; i < 5; i++) {
      cut = p.indexOf(':', cut + 1);
      if (cut < 0) return whole;
    }
    const head = p.slice(0, cut + 1);
    const tail = substituteVariables(p.slice(cut + 1), resolve);
    return tail ? { parts: [{ text: head, literal: false }, ...tail] } : { unresolved: true, head };
  });
}

/** Whether the partition, service, region and account of `head` (`arn:…:…:…:…:`) match. */
function headMatches(head: string, resource: string): boolean {
  return arnMatchesParts([{ text: `${head}*`, literal: false }], resource);
}

/**
 * Whether the request's resource is covered. A pattern whose variable has no value matches
 * nothing in Resource. In NotResource it makes the statement invalid (AWS: "any attempt to
 * match it fails and causes the statement to be invalid") unless the resource is plainly
 * outside it (another service, region or account).
 */
function resourceApplies(
  statement: Statement,
  resource: string,
  resolve: VariableResolver | undefined,
): boolean {
  if (statement.Resource) {
    return resolveResources(statement.Resource, resolve).some(
      (r) => 'parts' in r && arnMatchesParts(r.parts, resource),
    );
  }
  if (statement.NotResource) {
    return resolveResources(statement.NotResource, resolve).every((r) =>
      'parts' in r ? !arnMatchesParts(r.parts, resource) : !headMatches(r.head, resource),
    );
  }
  // Trust policies have no Resource: the statement is about the role itself.
  return true;
}

/** Why a statement did not apply; used to explain implicit denials. */
export type NotApplied =
  { why: 'action' | 'resource' | 'principal' } | { why: 'condition'; failure: ConditionFailure };

/** Whether one statement applies to the request, and if so how its principal matched. */
export function statementApplies(
  statement: Statement,
  source: Source,
  version: string,
  request: EvaluationRequest,
  context: RequestConditionContext = createConditionContext(request),
): { applies: true; principal?: PrincipalMatchKind } | ({ applies: false } & NotApplied) {
  const action = statement.Action
    ? actionMatches(statement.Action, request.action)
    : statement.NotAction
      ? !actionMatches(statement.NotAction, request.action)
      : false;
  if (!action) return { applies: false, why: 'action' };
  const resolve = version === '2012-10-17' ? context.resolve : undefined;
  const resource = resourceApplies(statement, request.resource, resolve);
  if (!resource) return { applies: false, why: 'resource' };
  let principal: PrincipalMatchKind | undefined;
  if (source === 'resource') {
    if (statement.Principal) {
      principal = matchPrincipal(statement.Principal, request.principal);
      if (!principal) return { applies: false, why: 'principal' };
    } else if (statement.NotPrincipal) {
      if (matchPrincipal(statement.NotPrincipal, request.principal)) {
        return { applies: false, why: 'principal' };
      }
      principal = 'wildcard';
    } else {
      return { applies: false, why: 'principal' };
    }
  }
  const conditions = evaluateConditions(statement.Condition, conditionContextFor(context, version));
  if (!conditions.matches) return { applies: false, why: 'condition', failure: conditions.failure };
  return principal ? { applies: true, principal } : { applies: true };
}

function applied(
  policies: readonly NamedPolicy[],
  source: Source,
  request: EvaluationRequest,
  context: RequestConditionContext,
): Applied[] {
  const out: Applied[] = [];
  for (const policy of policies) {
    policy.document.Statement.forEach((statement, index) => {
      const r = statementApplies(statement, source, policy.document.Version, request, context);
      if (!r.applies) return;
      out.push({
        statement: {
          policy: policy.name,
          source,
          index,
          ...(statement.Sid !== undefined ? { sid: statement.Sid } : {}),
          effect: statement.Effect,
        },
        ...(r.principal ? { principal: r.principal } : {}),
      });
    });
  }
  return out;
}

/** The account that owns the request's resource (see EvaluationRequest.resourceAccount). */
export function resourceAccountOf(request: EvaluationRequest): string {
  if (request.resourceAccount) return request.resourceAccount;
  const arn = parseArn(request.resource);
  return arn && /^\d{12}$/.test(arn.accountId) ? arn.accountId : request.principal.accountId;
}

/**
 * Whether the resource policy alone decides who may use the resource, as for role trust
 * policies (IAM User Guide: "a role trust policy must allow the principal even in the same
 * account") and KMS key policies.
 */
export function resourcePolicyIsAuthoritative(request: EvaluationRequest): boolean {
  const service = request.action.slice(0, request.action.indexOf(':')).toLowerCase();
  if (service === 'sts') return true;
  if (service !== 'kms') return false;
  const arn = parseArn(request.resource);
  return request.resource === '*' || (arn !== undefined && arn.resource.startsWith('key/'));
}

function names(policies: readonly NamedPolicy[]): string {
  return policies.length === 0 ? 'none' : policies.map((p) => p.name).join(', ');
}

function label(s: MatchedStatement): string {
  const sid = s.sid ? `'${s.sid}' ` : '';
  return `statement ${sid}(index ${s.index}) of ${s.source} policy ${s.policy}`;
}

/** Evaluates a request against identity, session and resource policies. */
export function evaluate(request: EvaluationRequest): Decision {
  const context = createConditionContext(request);
  const sessionPolicies = request.sessionPolicies ?? [];
  const resourcePolicies = request.resourcePolicy ? [request.resourcePolicy] : [];
  const identity = applied(request.identityPolicies, 'identity', request, context);
  const session = applied(sessionPolicies, 'session', request, context);
  const resource = applied(resourcePolicies, 'resource', request, context);
  const what = `${request.action} on ${request.resource}`;

  const denies = [...identity, ...session, ...resource].filter(
    (a) => a.statement.effect === 'Deny',
  );
  if (denies.length > 0) {
    const statements = denies.map((d) => d.statement);
    return {
      decision: 'ExplicitlyDenied',
      statements,
      reason: `${what} was explicitly denied by ${statements.map(label).join('; ')}`,
    };
  }

  const identityAllows = identity.filter((a) => a.statement.effect === 'Allow');
  const sessionAllows = session.filter((a) => a.statement.effect === 'Allow');
  const resourceAllows = resource.filter((a) => a.statement.effect === 'Allow');
  const hasSession = sessionPolicies.length > 0;
  const sessionOk = !hasSession || sessionAllows.length > 0;
  const identityGrant = identityAllows.length > 0 && sessionOk;
  const sameAccount = resourceAccountOf(request) === request.principal.accountId;
  // A grant to an account only delegates to that account's identity policies.
  const direct = resourceAllows.filter((a) => a.principal !== 'account');
  // A grant naming the session itself is added after the session policy narrows the rest.
  const toSession = direct.filter((a) => a.principal === 'session');
  // Trust and key policies are the only authority over a role or key: identity policies count
  // only when the resource policy trusts the account, even within the account.
  const authoritative = resourcePolicies.length > 0 && resourcePolicyIsAuthoritative(request);
  const toService = request.principal.service
    ? direct.filter((a) => a.principal === 'service' || a.principal === 'wildcard')
    : [];

  const allow = (parts: Applied[], how: string): Decision => ({
    decision: 'Allowed',
    statements: parts.map((p) => p.statement),
    reason: `${what} was allowed ${how}`,
  });
  const withSession = hasSession ? sessionAllows : [];

  if (toService.length > 0) {
    return allow(
      toService,
      `by the resource policy granting the service ${request.principal.service}`,
    );
  }
  if (toSession.length > 0 && sameAccount) {
    return allow(toSession, 'by the resource policy naming the session');
  }
  if (sameAccount && direct.length > 0 && sessionOk) {
    return allow([...direct, ...withSession], 'by the resource policy naming the caller');
  }
  if (sameAccount && !authoritative && identityGrant) {
    return allow([...identityAllows, ...withSession], 'by the identity policies');
  }
  if (identityGrant && resourceAllows.length > 0) {
    return allow(
      [...identityAllows, ...withSession, ...resourceAllows],
      sameAccount
        ? 'by the identity policies and the resource policy, which trusts the account'
        : 'by both the identity policies and the resource policy (cross-account)',
    );
  }

  const ids = names(request.identityPolicies);
  const owner = resourceAccountOf(request);
  const rp = names(resourcePolicies);
  let reason: string;
  if (request.principal.service) {
    reason = `no resource policy statement grants it to the service ${request.principal.service}`;
  } else if (hasSession && !sessionOk && (identityAllows.length > 0 || direct.length > 0)) {
    reason = `the session policies [${names(sessionPolicies)}] do not allow it`;
  } else if (identityAllows.length === 0 && resourceAllows.length === 0) {
    reason = `no statement in [${ids}]${resourcePolicies.length ? ` or the resource policy ${rp}` : ''} allows it`;
  } else if (identityAllows.length === 0) {
    reason = sameAccount
      ? `the resource policy ${rp} grants it to account ${request.principal.accountId} only, which still needs an identity policy in [${ids}] allowing it, and none does`
      : `the resource belongs to account ${owner}: a cross-account request needs an identity policy in [${ids}] to allow it too, and none does`;
  } else if (resourcePolicies.length === 0) {
    reason = `the resource belongs to account ${owner}: a cross-account request needs a resource policy that allows it, and there is none`;
  } else if (sameAccount) {
    reason = `the resource policy ${rp} does not allow the caller: it alone decides who may ${request.action}, even within the account`;
  } else {
    reason = `the resource belongs to account ${owner}: a cross-account request needs the resource policy ${rp} to allow it too, and it does not`;
  }
  return {
    decision: 'ImplicitlyDenied',
    statements: [],
    reason: `${what} was implicitly denied: ${reason}`,
  };
}
