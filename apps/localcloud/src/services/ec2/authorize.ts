/**
 * Per-resource authorization as the EC2 service authorization reference defines it, and the
 * DryRun rule shared by every action: all checks pass → `DryRunOperation`, else the denial.
 */
import type { RequestContext } from '@ferry/iam';
import type { Call, Cloud } from '../../core/contract.ts';
import { ec2Error } from './errors.ts';

export interface ResourceCheck {
  /** IAM action; defaults to `ec2:<call.action>`. */
  action?: string;
  /** Resource ARN, or `*` for actions without resource-level permissions. */
  arn: string;
  context?: RequestContext;
}

/** `arn:aws:ec2:REGION:ACCOUNT:TYPE/ID` for a resource of the caller's account. */
export function ec2Arn(call: Call<unknown>, type: string, id: string): string {
  return `arn:aws:ec2:${call.region}:${call.caller.accountId}:${type}/${id}`;
}

/** Public images carry no account in their ARN. */
export function imageArn(call: Call<unknown>, imageId: string): string {
  return `arn:aws:ec2:${call.region}::image/${imageId}`;
}

/** `aws:ResourceTag/K` and `ec2:ResourceTag/K` for an existing resource's tags. */
export function resourceTagContext(tags: Record<string, string> | undefined): RequestContext {
  const ctx: RequestContext = {};
  for (const [k, v] of Object.entries(tags ?? {})) {
    ctx[`aws:ResourceTag/${k}`] = v;
    ctx[`ec2:ResourceTag/${k}`] = v;
  }
  return ctx;
}

/** `aws:RequestTag/K` and `aws:TagKeys` for tags requested on a resource. */
export function requestTagContext(tags: Record<string, string> | undefined): RequestContext {
  const ctx: RequestContext = {};
  const keys = Object.keys(tags ?? {});
  if (keys.length === 0) return ctx;
  for (const [k, v] of Object.entries(tags ?? {})) ctx[`aws:RequestTag/${k}`] = v;
  ctx['aws:TagKeys'] = keys;
  return ctx;
}

/** True when the request carries `DryRun=true`. */
export function isDryRun(call: Call<unknown>): boolean {
  const input = call.input as Record<string, unknown> | undefined;
  return input?.DryRun === true || input?.DryRun === 'true';
}

/** Thrown when every check passed on a DryRun request, exactly as EC2 words it. */
export function dryRunSucceeded(): Error {
  return ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

/**
 * Authorizes each check for the call's caller (the first denial is thrown as EC2's
 * `UnauthorizedOperation` by core). Adds `ec2:Region`. When the request is a DryRun and all
 * checks pass, throws `DryRunOperation` so nothing is changed.
 */
export function authorizeAll(call: Call<unknown>, cloud: Cloud, checks: ResourceCheck[]): void {
  authorizeChecks(call, cloud, checks);
  if (isDryRun(call)) throw dryRunSucceeded();
}

/**
 * Authorizes each check without the DryRun answer, for actions that must authorize before
 * they look their resources up: EC2 answers a caller without permission
 * `UnauthorizedOperation` even for an id that does not exist (the ARN is built from the id),
 * and only an authorized caller learns `…NotFound`. The caller then calls `endDryRun`.
 */
export function authorizeChecks(call: Call<unknown>, cloud: Cloud, checks: ResourceCheck[]): void {
  for (const check of checks) {
    cloud.authorize(call, check.action ?? `ec2:${call.action}`, check.arn, {
      context: { 'ec2:Region': call.region, ...check.context },
    });
  }
}

/** After `authorizeChecks` and the lookups: a DryRun request ends here. */
export function endDryRun(call: Call<unknown>): void {
  if (isDryRun(call)) throw dryRunSucceeded();
}
