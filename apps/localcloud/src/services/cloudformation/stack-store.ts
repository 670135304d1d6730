/** CloudFormation state: stacks with their resources and events, as plain JSON. */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/contract.ts';
import type { Cloud } from '../../core/contract.ts';
import type { Json } from './template-parser.ts';

export interface StackResource {
  logicalId: string;
  type: string;
  physicalId?: string;
  status: string;
  statusReason?: string;
  /** Properties as resolved when created or last updated. */
  properties: Record<string, Json>;
  attributes: Record<string, Json>;
  updatedAt: number;
}

export interface StackEvent {
  eventId: string;
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
  reason?: string;
  properties?: string;
  timestamp: number;
}

export interface StackParameter {
  key: string;
  value: string;
  noEcho: boolean;
  /** For SSM-style resolved values; unused today. */
  resolved?: string;
}

export interface Stack {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  status: string;
  statusReason?: string;
  description?: string;
  templateBody: string;
  parameters: StackParameter[];
  capabilities: string[];
  tags: { Key: string; Value: string }[];
  outputs: { OutputKey: string; OutputValue: string; Description?: string; ExportName?: string }[];
  resources: Record<string, StackResource>;
  events: StackEvent[];
  createdAt: number;
  updatedAt?: number;
  deletedAt?: number;
  disableRollback: boolean;
  timeoutInMinutes?: number;
  notificationArns: string[];
  roleArn?: string;
  /** Set while an operation runs, so a restart can tell it was interrupted. */
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'ROLLBACK' | 'UPDATE_ROLLBACK';
}

export interface CfnState {
  stacks: Record<string, Stack>;
}

export function cfnState(cloud: Cloud, accountId: string, region: string): CfnState {
  return cloud.state<CfnState>('cloudformation', accountId, region, () => ({ stacks: {} }));
}

export function newStackId(region: string, accountId: string, name: string): string {
  return `arn:aws:cloudformation:${region}:${accountId}:stack/${name}/${randomUUID()}`;
}

export function validationError(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

/** A live stack by name, or any stack (deleted too) by stack id. */
export function findStack(state: CfnState, nameOrId: string): Stack | undefined {
  if (nameOrId.startsWith('arn:')) return state.stacks[nameOrId];
  return Object.values(state.stacks).find(
    (s) => s.stackName === nameOrId && s.status !== 'DELETE_COMPLETE',
  );
}

export function requireStack(state: CfnState, nameOrId: unknown): Stack {
  const name = typeof nameOrId === 'string' ? nameOrId : '';
  const stack = findStack(state, name);
  if (stack === undefined) throw validationError(`Stack with id ${name} does not exist`);
  return stack;
}

/** Adds an event; the newest is last in storage and first in DescribeStackEvents. */
export function addEvent(
  cloud: Cloud,
  stack: Stack,
  event: {
    logicalId: string;
    physicalId?: string;
    type: string;
    status: string;
    reason?: string;
    properties?: Record<string, Json>;
  },
): void {
  stack.events.push({
    eventId: randomUUID(),
    logicalId: event.logicalId,
    physicalId: event.physicalId ?? '',
    type: event.type,
    status: event.status,
    ...(event.reason === undefined ? {} : { reason: event.reason }),
    ...(event.properties === undefined ? {} : { properties: JSON.stringify(event.properties) }),
    timestamp: Math.max(cloud.now(), (stack.events.at(-1)?.timestamp ?? 0) + 1),
  });
  cloud.markChanged();
}

/** Sets the stack's status with a stack-level event. */
export function setStackStatus(cloud: Cloud, stack: Stack, status: string, reason?: string): void {
  stack.status = status;
  if (reason === undefined) delete stack.statusReason;
  else stack.statusReason = reason;
  addEvent(cloud, stack, {
    logicalId: stack.stackName,
    physicalId: stack.stackId,
    type: 'AWS::CloudFormation::Stack',
    status,
    ...(reason === undefined ? {} : { reason }),
  });
}

export const IN_PROGRESS = /_IN_PROGRESS$/;
