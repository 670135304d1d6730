/**
 * sts:AssumeRole: the role's trust policy evaluated as its resource policy, session
 * duration rules, role chaining, session tags, source identity and session policies.
 */
import type { NamedPolicy, RequestContext } from '@ferry/iam';
import type { Call, Caller, Cloud, CredentialRecord, Handler } from '../../core/contract.ts';
import { AwsError } from '../../core/contract.ts';
import {
  findManagedPolicy,
  findRoleByArn,
  parseIamArn,
  policyDocument,
} from '../iam/iam-lookups.ts';
import type { RoleRecord } from '../iam/iam-state.ts';
import { checkPolicy } from '../iam/iam-validation.ts';

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;
/** Role chaining caps a session at one hour. */
const CHAINED_MAX_SECONDS = 3600;

function validation(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

interface SessionTag {
  Key: string;
  Value: string;
}

function sessionTags(input: Record<string, unknown>): SessionTag[] {
  const raw = input.Tags;
  if (raw === undefined) return [];
  const tags = raw as Partial<SessionTag>[];
  if (tags.length > 50)
    throw validation(
      "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
  const seen = new Set<string>();
  return tags.map((t, i) => {
    if (typeof t.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128)
      throw validation(
        `1 validation error detected: Value '${String(t.Key)}' at 'tags.${i + 1}.member.key' failed to satisfy constraint: Member must have length between 1 and 128`,
      );
    const value = t.Value ?? '';
    if (value.length > 256)
      throw validation(
        `1 validation error detected: Value at 'tags.${i + 1}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
      );
    if (seen.has(t.Key.toLowerCase()))
      throw validation('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(t.Key.toLowerCase());
    return { Key: t.Key, Value: value };
  });
}

function sessionPolicies(call: Call, cloud: Cloud, roleAccount: string): NamedPolicy[] {
  const out: NamedPolicy[] = [];
  const inline = call.input.Policy;
  if (typeof inline === 'string') {
    checkPolicy(inline, 'identity');
    if (inline.replace(/\s/g, '').length > 2048)
      throw new AwsError(
        'PackedPolicyTooLarge',
        'Packed policy consumes more than 100 percent of the allotted size.',
      );
    const document = policyDocument(inline);
    if (document) out.push({ name: 'session-policy', document });
  }
  const arns = (call.input.PolicyArns as { arn?: string }[] | undefined) ?? [];
  if (arns.length > 10)
    throw validation(
      "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  for (const { arn } of arns) {
    const policy = arn ? findManagedPolicy(cloud, arn) : undefined;
    const p = arn ? parseIamArn(arn) : undefined;
    if (!policy || !p || p.accountId !== roleAccount)
      throw new AwsError(
        'InvalidParameterValue',
        `Policy ${String(arn)} does not exist or is not attachable.`,
      );
    const version = policy.versions.find((v) => v.versionId === policy.defaultVersionId);
    const document = version ? policyDocument(version.document) : undefined;
    if (document) out.push({ name: `session:${policy.arn}`, document });
  }
  return out;
}

export interface SessionOptions {
  role: RoleRecord;
  roleSessionName: string;
  durationSeconds: number;
  policies: NamedPolicy[];
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  sourceIdentity?: string;
  chained: boolean;
}

/** Issues a role session's credentials in the role's account. */
export function issueSession(cloud: Cloud, options: SessionOptions): CredentialRecord {
  const { role } = options;
  const now = cloud.now();
  return cloud.credentials.issue(
    role.arn.split(':')[4] as string,
    {
      type: 'session',
      roleName: role.roleName,
      roleArn: role.arn,
      roleId: role.roleId,
      roleSessionName: options.roleSessionName,
      sessionPolicies: options.policies,
      sessionTags: options.tags,
      transitiveTagKeys: options.transitiveTagKeys,
      sourceIdentity: options.sourceIdentity,
      chained: options.chained,
    },
    now,
    now + options.durationSeconds * 1000,
  );
}

/** The AssumeRole answer for issued credentials. */
export function sessionOutput(record: CredentialRecord, role: RoleRecord, sessionName: string) {
  return {
    Credentials: {
      AccessKeyId: record.accessKeyId,
      SecretAccessKey: record.secretAccessKey,
      SessionToken: record.sessionToken,
      Expiration: new Date(record.expiresAt ?? 0),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${sessionName}`,
      Arn: `arn:aws:sts::${record.accountId}:assumed-role/${role.roleName}/${sessionName}`,
    },
  };
}

function denied(caller: Caller, roleArn: string): AwsError {
  return new AwsError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );
}

export const AssumeRole: Handler = (call, cloud) => {
  const { input, caller } = call;
  const roleArn = input.RoleArn;
  if (typeof roleArn !== 'string' || roleArn.length < 20)
    throw validation(
      `1 validation error detected: Value '${String(roleArn)}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`,
    );
  const sessionName = input.RoleSessionName;
  if (typeof sessionName !== 'string' || !SESSION_NAME.test(sessionName))
    throw validation(
      `1 validation error detected: Value '${String(sessionName)}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  const sourceIdentity = input.SourceIdentity;
  if (
    sourceIdentity !== undefined &&
    (typeof sourceIdentity !== 'string' || !SOURCE_IDENTITY.test(sourceIdentity))
  )
    throw validation(
      `1 validation error detected: Value '${JSON.stringify(sourceIdentity)}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  const externalId = input.ExternalId;
  if (
    externalId !== undefined &&
    (typeof externalId !== 'string' || !/^[\w+=,.@:/-]{2,1224}$/.test(externalId))
  )
    throw validation(
      `1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`,
    );
  const tags = sessionTags(input);
  const transitive = (input.TransitiveTagKeys as string[] | undefined) ?? [];
  for (const key of transitive) {
    if (!tags.some((t) => t.Key === key))
      throw new AwsError(
        'InvalidParameterValue',
        `The specified transitive tag key ${key} must be included in the requested tags.`,
      );
  }

  const chained = caller.kind === 'assumed-role';
  const role = findRoleByArn(cloud, roleArn);
  // A role that IAM has not propagated yet is, to STS, a role that does not exist.
  if (!role || !cloud.isPropagated(role.createdAt)) {
    cloud.authorize(call, 'sts:AssumeRole', roleArn);
    throw denied(caller, roleArn);
  }
  const duration = input.DurationSeconds === undefined ? 3600 : Number(input.DurationSeconds);
  if (!Number.isInteger(duration) || duration < 900)
    throw validation(
      `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
  if (duration > role.maxSessionDuration)
    throw validation(
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
    );
  if (chained && duration > CHAINED_MAX_SECONDS)
    throw validation(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );

  // Tags and the source identity of the calling session carry over (chaining).
  const inherited: Record<string, string> = {};
  const inheritedKeys = caller.session?.transitiveTagKeys ?? [];
  for (const key of inheritedKeys) {
    const v = caller.principalTags[key];
    if (v !== undefined) inherited[key] = v;
  }
  for (const t of tags) {
    if (inheritedKeys.some((k) => k.toLowerCase() === t.Key.toLowerCase()))
      throw new AwsError(
        'InvalidParameterValue',
        `Session tag ${t.Key} conflicts with a transitive tag of the calling session.`,
      );
  }
  const callerSource = caller.session?.sourceIdentity;
  if (callerSource && sourceIdentity !== undefined && sourceIdentity !== callerSource)
    throw new AwsError(
      'AccessDenied',
      'The source identity of a session cannot be changed once it is set.',
      403,
    );
  const effectiveSource = callerSource ?? sourceIdentity;

  const trust = policyDocument(role.assumeRolePolicyDocument, 'trust');
  if (!trust) throw denied(caller, roleArn);
  const allTagKeys = [...tags.map((t) => t.Key), ...Object.keys(inherited)];
  const context: RequestContext = {
    'sts:RoleSessionName': sessionName,
    'sts:ExternalId': externalId,
    'sts:SourceIdentity': effectiveSource,
    'aws:SourceIdentity': callerSource,
  };
  if (allTagKeys.length) {
    context['aws:TagKeys'] = allTagKeys;
    for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
    for (const [k, v] of Object.entries(inherited)) context[`aws:RequestTag/${k}`] = v;
    if (transitive.length) context['sts:TransitiveTagKeys'] = transitive;
  }
  const options = {
    resourcePolicy: { name: `trust-policy:${role.arn}`, document: trust },
    resourceAccount: role.arn.split(':')[4],
    context,
  };
  try {
    cloud.authorize(call, 'sts:AssumeRole', role.arn, options);
    if (tags.length) cloud.authorize(call, 'sts:TagSession', role.arn, options);
    if (sourceIdentity !== undefined && !callerSource)
      cloud.authorize(call, 'sts:SetSourceIdentity', role.arn, options);
  } catch (err) {
    if (err instanceof AwsError && err.code === 'AccessDenied') {
      cloud.log.debug('AssumeRole denied', {
        caller: caller.arn,
        role: role.arn,
        reason: err.message,
      });
      throw new AwsError('AccessDenied', err.message, 403);
    }
    throw err;
  }

  const policies = sessionPolicies(call, cloud, role.arn.split(':')[4] as string);
  const tagValues = { ...inherited, ...Object.fromEntries(tags.map((t) => [t.Key, t.Value])) };
  const record = issueSession(cloud, {
    role,
    roleSessionName: sessionName,
    durationSeconds: duration,
    policies,
    tags: tagValues,
    transitiveTagKeys: [...new Set([...inheritedKeys, ...transitive])],
    sourceIdentity: effectiveSource,
    chained,
  });
  const packed =
    policies.length || tags.length
      ? Math.min(99, 6 + tags.length * 2 + policies.length * 10)
      : undefined;
  return {
    ...sessionOutput(record, role, sessionName),
    PackedPolicySize: packed,
    SourceIdentity: effectiveSource,
  };
};
