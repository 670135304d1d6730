/**
 * IAM records as the model's output shapes. Policy documents travel URL-encoded, as IAM
 * returns them.
 */
import type { RequestContext } from '@ferry/iam';
import type {
  InstanceProfileRecord,
  ManagedPolicyRecord,
  RoleRecord,
  Tag,
  UserRecord,
} from './iam-state.ts';

export const encodeDocument = (doc: string) => encodeURIComponent(doc);

export function userOut(u: UserRecord): Record<string, unknown> {
  return {
    Path: u.path,
    UserName: u.userName,
    UserId: u.userId,
    Arn: u.arn,
    CreateDate: new Date(u.createdAt),
    Tags: u.tags.length ? u.tags : undefined,
  };
}

export function roleOut(r: RoleRecord, withTags = true): Record<string, unknown> {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: new Date(r.createdAt),
    AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicyDocument),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    Tags: withTags && r.tags.length ? r.tags : undefined,
    RoleLastUsed: withTags ? {} : undefined,
  };
}

export function policyOut(
  p: ManagedPolicyRecord,
  attachmentCount: number,
): Record<string, unknown> {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachmentCount,
    IsAttachable: true,
    Description: p.description,
    CreateDate: new Date(p.createdAt),
    UpdateDate: new Date(p.updatedAt),
    Tags: p.tags.length ? p.tags : undefined,
  };
}

export function instanceProfileOut(
  p: InstanceProfileRecord,
  roles: RoleRecord[],
): Record<string, unknown> {
  return {
    Path: p.path,
    InstanceProfileName: p.name,
    InstanceProfileId: p.id,
    Arn: p.arn,
    CreateDate: new Date(p.createdAt),
    Roles: roles.map((r) => ({ ...roleOut(r, false), Tags: r.tags.length ? r.tags : undefined })),
    Tags: p.tags.length ? p.tags : undefined,
  };
}

/** `aws:ResourceTag/…` and `iam:ResourceTag/…` condition keys of a tagged entity. */
export function resourceTagContext(tags: Tag[]): RequestContext {
  const ctx: RequestContext = {};
  for (const t of tags) {
    ctx[`aws:ResourceTag/${t.Key}`] = t.Value;
    ctx[`iam:ResourceTag/${t.Key}`] = t.Value;
  }
  return ctx;
}

/** `aws:RequestTag/…` and `aws:TagKeys` of tags passed in a request. */
export function requestTagContext(tags: Tag[]): RequestContext {
  if (tags.length === 0) return {};
  const ctx: RequestContext = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) ctx[`aws:RequestTag/${t.Key}`] = t.Value;
  return ctx;
}
