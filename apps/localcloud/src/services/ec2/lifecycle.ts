/**
 * Instance states and their transitions: pending → running → shutting-down → terminated,
 * running → stopping → stopped → pending. Transitional states end at `transitionAt`.
 */
import type { InstanceRecord, InstanceStateName } from './state.ts';

/** How long each transitional state lasts, and how long terminated instances stay visible. */
export interface Timings {
  pendingMs: number;
  stoppingMs: number;
  shuttingDownMs: number;
  /** Terminated instances stay visible this long (about an hour in AWS). */
  terminatedRetentionMs: number;
  /** Between SIGTERM and SIGKILL when an instance's process is stopped. */
  killGraceMs: number;
}

export const defaultTimings: Timings = {
  pendingMs: 1000,
  stoppingMs: 1000,
  shuttingDownMs: 1000,
  terminatedRetentionMs: 3600_000,
  killGraceMs: 2000,
};

const CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** EC2's InstanceState shape. */
export function stateShape(name: InstanceStateName): { Code: number; Name: InstanceStateName } {
  return { Code: CODES[name], Name: name };
}

/** `User initiated (YYYY-MM-DD HH:MM:SS GMT)`, as EC2 words StateTransitionReason. */
export function transitionReason(kind: string, now: number): string {
  const t = new Date(now)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' GMT');
  return `${kind} (${t})`;
}

export const REASONS = {
  userShutdown: {
    code: 'Client.UserInitiatedShutdown',
    message: 'Client.UserInitiatedShutdown: User initiated shutdown',
  },
  instanceShutdown: {
    code: 'Client.InstanceInitiatedShutdown',
    message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
  },
  spotTermination: {
    code: 'Server.SpotInstanceTermination',
    message: 'Server.SpotInstanceTermination: Spot instance termination',
  },
  fleetDeleted: {
    code: 'Client.UserInitiatedShutdown',
    message: 'Client.UserInitiatedShutdown: User initiated shutdown',
  },
} as const;

/** Starts shutting down (no-op when already shutting down or terminated). */
export function beginTermination(
  inst: InstanceRecord,
  now: number,
  timings: Timings,
  reason: { code: string; message: string },
  kind: string,
): boolean {
  if (inst.state === 'shutting-down' || inst.state === 'terminated') return false;
  inst.state = 'shutting-down';
  inst.transitionAt = now + timings.shuttingDownMs;
  inst.stateReason = { ...reason };
  inst.stateTransitionReason = transitionReason(kind, now);
  return true;
}

/** Starts stopping a pending or running instance. */
export function beginStop(
  inst: InstanceRecord,
  now: number,
  timings: Timings,
  reason: { code: string; message: string },
  kind: string,
): boolean {
  if (inst.state !== 'running' && inst.state !== 'pending') return false;
  inst.state = 'stopping';
  inst.transitionAt = now + timings.stoppingMs;
  inst.stateReason = { ...reason };
  inst.stateTransitionReason = transitionReason(kind, now);
  return true;
}

/** Starts a stopped instance again (pending, then running). */
export function beginStart(
  inst: InstanceRecord,
  now: number,
  timings: Timings,
  extraBootMs: number,
): boolean {
  if (inst.state !== 'stopped') return false;
  inst.state = 'pending';
  inst.transitionAt = now + timings.pendingMs + extraBootMs;
  delete inst.stateReason;
  inst.stateTransitionReason = '';
  return true;
}

/** Completes a due transition; returns the state entered, if any. */
export function advance(
  inst: InstanceRecord,
  now: number,
  timings: Timings,
): InstanceStateName | undefined {
  if (inst.transitionAt === undefined || inst.transitionAt > now) return undefined;
  delete inst.transitionAt;
  switch (inst.state) {
    case 'pending':
      inst.state = 'running';
      return 'running';
    case 'stopping':
      inst.state = 'stopped';
      return 'stopped';
    case 'shutting-down':
      inst.state = 'terminated';
      inst.expiresAt = now + timings.terminatedRetentionMs;
      return 'terminated';
    default:
      return undefined;
  }
}
