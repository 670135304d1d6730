/**
 * SimulatePrincipalPolicy, evaluated with the same engine that authorizes requests.
 */
import { evaluate } from '@ferry/iam';
import type { NamedPolicy, RequestContext } from '@ferry/iam';
import type { Handler } from '../../core/contract.ts';
import { AwsError } from '../../core/contract.ts';
import { paginate } from '../../core/pagination.ts';
import {
  findRoleByArn,
  parseIamArn,
  policyDocument,
  rolePolicies,
  userPolicies,
} from './iam-lookups.ts';
import { iamState } from './iam-state.ts';
import { checkPolicy, noSuchEntity, requireString, validationError } from './iam-validation.ts';

const decisionName = {
  Allowed: 'allowed',
  ExplicitlyDenied: 'explicitDeny',
  ImplicitlyDenied: 'implicitDeny',
} as const;

interface ContextEntry {
  ContextKeyName?: string;
  ContextKeyValues?: string[];
}

const SimulatePrincipalPolicy: Handler = (call, cloud) => {
  const source = requireString(call.input, 'PolicySourceArn');
  cloud.authorize(call, 'iam:SimulatePrincipalPolicy', source);
  const p = parseIamArn(source);
  if (!p || p.accountId !== call.caller.accountId)
    throw new AwsError('InvalidInput', `Invalid PolicySourceArn: ${source}`);
  let policies: NamedPolicy[];
  let principalArn = source;
  if (p.type === 'role') {
    const role = findRoleByArn(cloud, source);
    if (!role) throw noSuchEntity(`The role with name ${p.name} cannot be found.`);
    policies = rolePolicies(cloud, role);
  } else if (p.type === 'user') {
    const user = iamState(cloud, p.accountId).users[p.name];
    if (!user) throw noSuchEntity(`The user with name ${p.name} cannot be found.`);
    policies = userPolicies(cloud, user);
    principalArn = user.arn;
  } else {
    throw new AwsError('InvalidInput', `PolicySourceArn must name a user or a role: ${source}`);
  }
  const extra = (call.input.PolicyInputList as string[] | undefined) ?? [];
  extra.forEach((doc, i) => {
    checkPolicy(doc, 'identity');
    const document = policyDocument(doc);
    if (document) policies = [...policies, { name: `PolicyInputList.${i + 1}`, document }];
  });
  let resourcePolicy: NamedPolicy | undefined;
  if (typeof call.input.ResourcePolicy === 'string') {
    checkPolicy(call.input.ResourcePolicy, 'resource');
    const document = policyDocument(call.input.ResourcePolicy, 'identity');
    const parsed = document ?? undefined;
    if (parsed) resourcePolicy = { name: 'ResourcePolicy', document: parsed };
  }
  const actions = call.input.ActionNames as string[] | undefined;
  if (!actions?.length) throw validationError(undefined, 'actionNames', 'Member must not be null');
  const resources = (call.input.ResourceArns as string[] | undefined) ?? ['*'];
  const context: RequestContext = {};
  for (const e of (call.input.ContextEntries as ContextEntry[] | undefined) ?? []) {
    if (e.ContextKeyName) context[e.ContextKeyName] = e.ContextKeyValues ?? [];
  }
  const results = actions.flatMap((action) =>
    resources.map((resource) => {
      const decision = evaluate({
        principal: { arn: principalArn, principalArn, accountId: p.accountId },
        action,
        resource,
        context,
        identityPolicies: policies,
        resourcePolicy,
        resourceAccount:
          typeof call.input.ResourceOwner === 'string'
            ? call.input.ResourceOwner.split(':')[4]
            : undefined,
      });
      return {
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: decisionName[decision.decision],
        MatchedStatements: decision.statements.map((s) => ({
          SourcePolicyId: s.policy,
          SourcePolicyType:
            s.source === 'resource'
              ? 'resource'
              : s.policy.startsWith('arn:')
                ? 'IAM Policy'
                : 'IAM Policy',
        })),
        MissingContextValues: [],
      };
    }),
  );
  const page = paginate(results, call.input.Marker, call.input.MaxItems, 1000, 'Marker');
  return { EvaluationResults: page.items, IsTruncated: !!page.next, Marker: page.next };
};

export const simulateHandlers: Record<string, Handler> = { SimulatePrincipalPolicy };
