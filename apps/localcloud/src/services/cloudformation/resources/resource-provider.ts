/** What a resource type implements for the provisioning engine. */
import { randomBytes } from 'node:crypto';
import type { Caller, Cloud } from '../../../core/contract.ts';
import type { CfnSettings } from '../settings.ts';
import type { Json } from '../template-parser.ts';

export interface ProvisionContext {
  cloud: Cloud;
  /** Resources are made as the stack's caller: their permissions are checked per call. */
  caller: Caller;
  region: string;
  accountId: string;
  stackName: string;
  stackId: string;
  logicalId: string;
  resourceType: string;
  settings: CfnSettings;
  /** Aborted when the operation is cancelled (another resource failed). */
  signal: AbortSignal;
  invoke<O = Record<string, unknown>>(
    service: string,
    action: string,
    input: Record<string, unknown>,
  ): Promise<O>;
}

export interface ResourceState {
  physicalId: string;
  properties: Record<string, Json>;
  attributes: Record<string, Json>;
}

export interface ResourceResult {
  physicalId: string;
  attributes: Record<string, Json>;
}

export interface ResourceProvider {
  create(ctx: ProvisionContext, properties: Record<string, Json>): Promise<ResourceResult>;
  /** Updates in place; absent → every change replaces the resource. */
  update?(
    ctx: ProvisionContext,
    current: ResourceState,
    properties: Record<string, Json>,
  ): Promise<ResourceResult>;
  /** Properties whose change replaces the resource even when `update` exists. */
  replaceOn?: string[];
  delete(ctx: ProvisionContext, current: ResourceState): Promise<void>;
  /** IAM resources: whether the template names it (needs CAPABILITY_NAMED_IAM). */
  iam?: (properties: Record<string, Json>) => { named: boolean };
  /** Properties that must be present. */
  required?: string[];
}

/** A name as CloudFormation generates one: `STACK-LOGICALID-RANDOM`, at most `max` long. */
export function physicalName(ctx: ProvisionContext, max: number, suffix = ''): string {
  const random = randomBytes(12)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .toUpperCase()
    .slice(0, 12)
    .padEnd(12, 'X');
  const room = max - random.length - suffix.length - 2;
  const stack = ctx.stackName.slice(0, Math.max(1, Math.floor(room / 2)));
  const logical = ctx.logicalId.slice(0, Math.max(1, room - stack.length));
  return `${stack}-${logical}-${random}${suffix}`;
}

export function str(value: Json | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function list(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

export function bool(value: Json | undefined): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  return value === true || value === 'true';
}

/** A policy document property as IAM takes it: a JSON string. */
export function policyText(value: Json | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? {});
}

export function tagList(value: Json | undefined): { Key: string; Value: string }[] {
  return list(value).map((t) => {
    const tag = (t ?? {}) as Record<string, Json>;
    return { Key: str(tag.Key) ?? '', Value: str(tag.Value) ?? '' };
  });
}
