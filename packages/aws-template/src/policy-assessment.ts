/**
 * Reads a (sample) stack's policies with @ferry/iam and evaluates requests against them:
 * every registry entry must be allowed, every must-deny sample denied, and the trust
 * policies must demand the external ID. Shared by the tests and `ferry demo`.
 */
import {
  evaluate,
  parsePolicy,
  type DecisionKind,
  type EvaluationRequest,
  type NamedPolicy,
  type PolicyKind,
  type RequestContext,
  type RequestPrincipal,
} from '@ferry/iam';
import {
  CUSTOMER_ROLES,
  DENIED_SAMPLES,
  PERMISSIONS,
  type CustomerRole,
} from './permission-registry.ts';
import { renderRolePolicy } from './role-policy.ts';
import { resolvePattern, resolveScopeValue, type ScopeValues } from './scope-value.ts';
import type { SampleStack } from './sample-stack.ts';

/** A policy document that @ferry/iam rejects; `problems` say where and why. */
export class PolicyDocumentError extends Error {
  readonly code = 'POLICY_DOCUMENT_INVALID';
  constructor(name: string, problems: { path: string; message: string }[]) {
    super(`${name}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'PolicyDocumentError';
  }
}

/** Parses a document with @ferry/iam, or throws PolicyDocumentError. */
export function namedPolicy(name: string, document: unknown, kind: PolicyKind): NamedPolicy {
  const parsed = parsePolicy(document, kind);
  if (!parsed.ok) throw new PolicyDocumentError(name, parsed.problems);
  return { name, document: parsed.policy };
}

export interface RolePolicies {
  roleArn: string;
  identity: NamedPolicy[];
  trust: NamedPolicy;
}

/** The identity and trust policies of each customer role, as the stack deployed them. */
export function stackPolicies(stack: SampleStack): Record<CustomerRole, RolePolicies> {
  const out = {} as Record<CustomerRole, RolePolicies>;
  for (const role of CUSTOMER_ROLES) {
    const roleRes = stack.resources[`${role}Role`];
    const roleFacts = stack.facts.resources[`${role}Role`];
    if (!roleRes || !roleFacts) throw new Error(`the stack has no ${role}Role`);
    const roleName = roleFacts.ref;
    const identity = Object.entries(stack.resources)
      .filter(
        ([, r]) =>
          r.Type === 'AWS::IAM::ManagedPolicy' &&
          Array.isArray(r.Properties.Roles) &&
          r.Properties.Roles.includes(roleName),
      )
      .map(([id, r]) => namedPolicy(id, r.Properties.PolicyDocument, 'identity'));
    out[role] = {
      roleArn: roleFacts.attributes.Arn!,
      identity,
      trust: namedPolicy(
        `${role}Role trust policy`,
        roleRes.Properties.AssumeRolePolicyDocument,
        'trust',
      ),
    };
  }
  return out;
}

/** A request and the decision it must get. */
export interface AssessmentCase {
  role: CustomerRole;
  action: string;
  resource: string;
  context: RequestContext;
  expect: 'Allowed' | 'Denied';
  why: string;
}

export interface AssessmentResult extends AssessmentCase {
  decision: DecisionKind;
  ok: boolean;
  reason: string;
}

const sampleOf = (arn: string): string => arn.replace(/\*/g, 'sample').replace(/\?/g, 'x');

/**
 * One allowed request per registry entry, resource and condition: the resource pattern made
 * concrete and a context that satisfies the entry's conditions (first value of each key).
 */
export function registryCases(values: ScopeValues): AssessmentCase[] {
  const cases: AssessmentCase[] = [];
  for (const entry of PERMISSIONS) {
    if (entry.role === 'Platform') continue;
    for (const scope of entry.scopes) {
      const context: RequestContext = {};
      for (const keys of Object.values(scope.conditions ?? {})) {
        for (const [key, v] of Object.entries(keys)) {
          const first = (Array.isArray(v) ? v : [v]).flatMap((x) =>
            resolveScopeValue(x, values),
          )[0];
          if (first !== undefined) context[key] = sampleOf(first);
        }
      }
      for (const resource of scope.resources.flatMap((r) => resolveScopeValue(r, values))) {
        cases.push({
          role: entry.role,
          action: entry.action,
          resource: sampleOf(resource),
          context,
          expect: 'Allowed',
          why: `registry: ${entry.why}`,
        });
      }
    }
  }
  return cases;
}

/** The registry's must-deny samples, made concrete. */
export function deniedCases(values: ScopeValues): AssessmentCase[] {
  return DENIED_SAMPLES.map((s) => ({
    role: s.role,
    action: s.action,
    resource: resolvePattern(s.resource, values),
    context: Object.fromEntries(
      Object.entries(s.context).map(([k, v]) => [
        k,
        Array.isArray(v) ? v.map((x) => resolvePattern(x, values)) : resolvePattern(v, values),
      ]),
    ),
    expect: 'Denied',
    why: s.why,
  }));
}

/** The caller as a session of a customer role. */
export function roleSession(roleArn: string, session = 'ferry-test'): RequestPrincipal {
  const user = /^arn:[^:]+:iam::(\d{12}):user\/.+$/.exec(roleArn);
  if (user) return { arn: roleArn, principalArn: roleArn, accountId: user[1]! };
  const m = /^arn:([^:]+):iam::(\d{12}):role\/(.+)$/.exec(roleArn);
  if (!m) throw new Error(`not a role or user ARN: ${roleArn}`);
  return {
    arn: `arn:${m[1]}:sts::${m[2]}:assumed-role/${m[3]!.split('/').pop()}/${session}`,
    principalArn: roleArn,
    accountId: m[2]!,
  };
}

/** Evaluates identity-policy cases against the stack's roles. */
export function assessStack(stack: SampleStack, cases: AssessmentCase[]): AssessmentResult[] {
  const policies = stackPolicies(stack);
  return cases.map((c) => {
    const role = policies[c.role];
    const request: EvaluationRequest = {
      principal: roleSession(role.roleArn),
      action: c.action,
      resource: c.resource,
      resourceAccount: stack.facts.accountId,
      context: c.context,
      identityPolicies: role.identity,
    };
    const d = evaluate(request);
    const allowed = d.decision === 'Allowed';
    return {
      ...c,
      decision: d.decision,
      ok: allowed === (c.expect === 'Allowed'),
      reason: d.reason,
    };
  });
}

/** A trust-policy check: who asks to assume which role, with what. */
export interface TrustCase {
  role: CustomerRole;
  caller: 'platform' | 'other-account' | 'ec2';
  action: string;
  context: RequestContext;
  expect: 'Allowed' | 'Denied';
  why: string;
}

export interface TrustResult extends TrustCase {
  decision: DecisionKind;
  ok: boolean;
  reason: string;
}

/** Trust checks for every customer role: the external ID is required and the platform only. */
export function trustCases(values: ScopeValues): TrustCase[] {
  const externalId = resolvePattern('${ExternalId}', values);
  const workspace = resolvePattern('${WorkspaceId}', values);
  const cases: TrustCase[] = [];
  for (const role of CUSTOMER_ROLES) {
    cases.push(
      {
        role,
        caller: 'platform',
        action: 'sts:AssumeRole',
        context: { 'sts:ExternalId': externalId },
        expect: 'Allowed',
        why: 'the platform with the external ID',
      },
      {
        role,
        caller: 'platform',
        action: 'sts:AssumeRole',
        context: {},
        expect: 'Denied',
        why: 'without the external ID (confused deputy)',
      },
      {
        role,
        caller: 'platform',
        action: 'sts:AssumeRole',
        context: { 'sts:ExternalId': `${externalId}-wrong` },
        expect: 'Denied',
        why: 'with another workspace’s external ID',
      },
      {
        role,
        caller: 'other-account',
        action: 'sts:AssumeRole',
        context: { 'sts:ExternalId': externalId },
        expect: 'Denied',
        why: 'anyone but the platform, even with the external ID',
      },
      {
        role,
        caller: 'platform',
        action: 'sts:TagSession',
        context: {
          'aws:RequestTag/ferry:workspace': workspace,
          'aws:TagKeys': ['ferry:workspace'],
        },
        expect: 'Allowed',
        why: 'the broker tags the session with this workspace',
      },
      {
        role,
        caller: 'platform',
        action: 'sts:TagSession',
        context: { 'aws:RequestTag/ferry:workspace': 'another-workspace' },
        expect: 'Denied',
        why: 'a session tagged with another workspace',
      },
      {
        role,
        caller: 'platform',
        action: 'sts:SetSourceIdentity',
        context: { 'sts:SourceIdentity': 'user@example.com' },
        expect: 'Allowed',
        why: 'the broker names the actor',
      },
    );
  }
  cases.push(
    {
      role: 'Worker',
      caller: 'ec2',
      action: 'sts:AssumeRole',
      context: {},
      expect: 'Allowed',
      why: 'nodes run with the Worker role',
    },
    {
      role: 'UserInitiated',
      caller: 'ec2',
      action: 'sts:AssumeRole',
      context: {},
      expect: 'Denied',
      why: 'EC2 may only use the Worker role',
    },
  );
  return cases;
}

/** Evaluates trust cases: the platform's own policy (from the registry) and each role's trust policy. */
export function assessTrust(
  stack: SampleStack,
  values: ScopeValues,
  cases: TrustCase[],
): TrustResult[] {
  const policies = stackPolicies(stack);
  const platformArn = resolvePattern('${PlatformPrincipalArn}', values);
  const platformPolicy = namedPolicy(
    'ferry-platform',
    renderRolePolicy('Platform', {
      // The queue lives beside the topic; only its ARN's shape matters here.
      PhoneHomeQueueArn: resolvePattern('${PhoneHomeTopicArn}', values).replace(':sns:', ':sqs:'),
      ...values,
    }),
    'identity',
  );
  const platformSession = roleSession(platformArn, 'ferry-control-plane');
  const other = roleSession('arn:aws:iam::444455556666:role/someone-else', 'intruder');
  const allowAll = namedPolicy(
    'intruder-admin',
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    'identity',
  );
  return cases.map((c) => {
    const role = policies[c.role];
    const principal: RequestPrincipal =
      c.caller === 'platform'
        ? platformSession
        : c.caller === 'ec2'
          ? {
              arn: 'ec2.amazonaws.com',
              principalArn: 'ec2.amazonaws.com',
              accountId: '',
              service: 'ec2.amazonaws.com',
            }
          : other;
    const d = evaluate({
      principal,
      action: c.action,
      resource: role.roleArn,
      context: c.context,
      identityPolicies:
        c.caller === 'platform' ? [platformPolicy] : c.caller === 'other-account' ? [allowAll] : [],
      resourcePolicy: role.trust,
    });
    const allowed = d.decision === 'Allowed';
    return {
      ...c,
      decision: d.decision,
      ok: allowed === (c.expect === 'Allowed'),
      reason: d.reason,
    };
  });
}
