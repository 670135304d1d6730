/** User-facing explanations of decisions. */
import { statementApplies } from './evaluate.ts';
import { createConditionContext } from './request-context.ts';
import type { Decision, EvaluationRequest, MatchedStatement, NamedPolicy } from './types.ts';

function label(s: { sid?: string | undefined; index: number; policy: string }): string {
  return `statement ${s.sid ? `'${s.sid}' ` : ''}(index ${s.index}) of policy ${s.policy}`;
}

function describeStatement(s: MatchedStatement): string {
  return `${s.effect} ${label(s)} (${s.source} policy)`;
}

/**
 * Allow statements that name the action but did not apply, with the reason: the "near
 * misses" a user most likely meant to grant the request with.
 */
export function nearMisses(request: EvaluationRequest): string[] {
  const context = createConditionContext(request);
  const lines: string[] = [];
  const visit = (policies: readonly NamedPolicy[], source: MatchedStatement['source']): void => {
    for (const policy of policies) {
      policy.document.Statement.forEach((statement, index) => {
        if (statement.Effect !== 'Allow') return;
        const r = statementApplies(statement, source, policy.document.Version, request, context);
        if (r.applies || r.why === 'action') return;
        const where = label({ sid: statement.Sid, index, policy: policy.name });
        if (r.why === 'resource') {
          lines.push(`${where} allows the action but not on ${request.resource}`);
        } else if (r.why === 'principal') {
          lines.push(
            `${where} allows the action but does not name the caller ${request.principal.arn}`,
          );
        } else if (r.why === 'condition') {
          const got =
            r.failure.requestValue !== undefined
              ? `the request has ${JSON.stringify(r.failure.requestValue)}`
              : 'the request does not carry the key';
          lines.push(
            `${where} allows the action but its condition ${r.failure.operator} on "${r.failure.key}" is not met (${got})`,
          );
        }
      });
    }
  };
  visit(request.identityPolicies, 'identity');
  visit(request.sessionPolicies ?? [], 'session');
  visit(request.resourcePolicy ? [request.resourcePolicy] : [], 'resource');
  return lines;
}

/**
 * Renders a decision for a user: the one-line reason, the statements that decided, and for
 * implicit denials the statements that came closest to allowing the request.
 */
export function explainDecision(decision: Decision, request: EvaluationRequest): string {
  const lines = [decision.reason];
  if (decision.decision === 'ImplicitlyDenied') {
    const misses = nearMisses(request);
    if (misses.length > 0) {
      lines.push('Closest statements:');
      for (const m of misses) lines.push(`  - ${m}`);
    }
  } else {
    lines.push(decision.decision === 'Allowed' ? 'Allowed by:' : 'Denied by:');
    for (const s of decision.statements) lines.push(`  - ${describeStatement(s)}`);
  }
  return lines.join('\n');
}
