/**
 * Authorization of one action with @ferry/iam: the caller's identity and session policies,
 * the resource's policy, the global condition keys of the request; denials in the form and
 * code of the service that denies.
 */
import { evaluate } from '@ferry/iam';
import type { Decision, EvaluationRequest, NamedPolicy, RequestContext } from '@ferry/iam';
import type { AuthorizeOptions, Call, Caller, Logger } from './contract.ts';
import { AwsError } from './contract.ts';

/** The root user's implicit permission: everything (cross-account access still needs the resource's consent). */
const rootPolicy: NamedPolicy = {
  name: 'account-root',
  document: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
  },
};

/** AWS's global condition keys for a call. */
export function globalContext(call: Call<unknown>, now: number): RequestContext {
  const { caller } = call;
  const ctx: RequestContext = {
    'aws:PrincipalArn': caller.principalArn,
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalType':
      caller.kind === 'root' ? 'Account' : caller.kind === 'user' ? 'User' : 'AssumedRole',
    'aws:userid': caller.userId,
    'aws:SourceIp': call.sourceIp,
    'aws:CurrentTime': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(now / 1000)),
    'aws:SecureTransport': 'false',
    'aws:RequestedRegion': call.region === 'global' ? 'us-east-1' : call.region,
    'aws:ViaAWSService': 'false',
  };
  if (caller.kind === 'user') ctx['aws:username'] = caller.arn.split('/').pop();
  for (const [k, v] of Object.entries(caller.principalTags)) ctx[`aws:PrincipalTag/${k}`] = v;
  if (caller.session?.sourceIdentity) ctx['aws:SourceIdentity'] = caller.session.sourceIdentity;
  return ctx;
}

/** The evaluation request for `action` on `resource` by the call's caller. */
export function evaluationRequest(
  call: Call<unknown>,
  action: string,
  resource: string,
  now: number,
  options: AuthorizeOptions = {},
): EvaluationRequest {
  const { caller } = call;
  return {
    principal: { arn: caller.arn, principalArn: caller.principalArn, accountId: caller.accountId },
    action,
    resource,
    resourceAccount: options.resourceAccount,
    context: { ...globalContext(call, now), ...options.context },
    identityPolicies: caller.kind === 'root' ? [rootPolicy] : caller.identityPolicies,
    sessionPolicies: caller.sessionPolicies,
    resourcePolicy: options.resourcePolicy,
  };
}

function sourceOfDenial(decision: Decision): string {
  const s = decision.statements[0]?.source;
  return s === 'resource'
    ? 'a resource-based policy'
    : s === 'session'
      ? 'a session policy'
      : 'an identity-based policy';
}

/** AWS's denial sentence: "User: ARN is not authorized to perform: ACTION on resource: ARN because …". */
export function denialMessage(
  caller: Caller,
  action: string,
  resource: string,
  decision: Decision,
  request: EvaluationRequest,
): string {
  const base = `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource}`;
  if (decision.decision === 'ExplicitlyDenied')
    return `${base} with an explicit deny in ${sourceOfDenial(decision)}`;
  const crossAccount =
    request.resourcePolicy !== undefined &&
    (request.resourceAccount ?? resource.split(':')[4] ?? caller.accountId) !== caller.accountId;
  if (crossAccount) {
    const identityOnly = evaluate({
      ...request,
      resourcePolicy: undefined,
      resourceAccount: caller.accountId,
    });
    if (identityOnly.decision === 'Allowed')
      return `${base} because no resource-based policy allows the ${action} action`;
  }
  if (caller.sessionPolicies.length > 0) {
    const withoutSession = evaluate({ ...request, sessionPolicies: [] });
    if (withoutSession.decision === 'Allowed')
      return `${base} because no session policy allows the ${action} action`;
  }
  return `${base} because no identity-based policy allows the ${action} action`;
}

/** Base64 JSON explanation carried in EC2's UnauthorizedOperation (sts:DecodeAuthorizationMessage reads it). */
export function encodeAuthorizationMessage(decision: Decision, request: EvaluationRequest): string {
  const doc = {
    allowed: false,
    explicitDeny: decision.decision === 'ExplicitlyDenied',
    matchedStatements: { items: decision.statements },
    failures: { items: [] },
    reason: decision.reason,
    context: {
      principal: { id: request.context['aws:userid'], arn: request.principal.arn },
      action: request.action,
      resource: request.resource,
      conditions: {
        items: Object.entries(request.context)
          .filter(([, v]) => v !== undefined)
          .map(([key, v]) => ({
            key,
            values: { items: (Array.isArray(v) ? v : [v]).map((value) => ({ value })) },
          })),
      },
    },
  };
  return Buffer.from(JSON.stringify(doc)).toString('base64url');
}

/** Decodes an encoded authorization message; undefined when it is not one of ours. */
export function decodeAuthorizationMessage(encoded: string): string | undefined {
  try {
    const text = Buffer.from(encoded, 'base64url').toString('utf8');
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

/** Authorizes or throws the service's denial error; logs the deciding statements. */
export function authorizeCall(
  call: Call<unknown>,
  action: string,
  resource: string,
  now: number,
  log: Logger,
  options: AuthorizeOptions = {},
): void {
  const { caller } = call;
  const resourceAccount =
    options.resourceAccount ??
    (/^\d{12}$/.test(resource.split(':')[4] ?? '') ? resource.split(':')[4] : caller.accountId);
  if (caller.kind === 'root' && resourceAccount === caller.accountId) return;
  const request = evaluationRequest(call, action, resource, now, options);
  const decision = evaluate(request);
  log.debug('authorization', {
    caller: caller.arn,
    action,
    resource,
    decision: decision.decision,
    statements: decision.statements,
    reason: decision.reason,
  });
  if (decision.decision === 'Allowed') return;
  const message = denialMessage(caller, action, resource, decision, request);
  switch (call.service) {
    case 'ec2':
      throw new AwsError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${message}. Encoded authorization failure message: ${encodeAuthorizationMessage(decision, request)}`,
        403,
      );
    case 'kinesis':
      throw new AwsError('AccessDeniedException', message, 400);
    default:
      throw new AwsError('AccessDenied', message, 403);
  }
}
