/**
 * Injected faults (`/_localcloud/faults`): deterministic with a seed, so a test that sets
 * `{"seed": n}` sees the same sequence of failures on every run.
 */
import { randomUUID } from 'node:crypto';
import type { Fault, Faults } from './contract.ts';
import { AwsError } from './contract.ts';

/** HTTP status of well-known fault error codes (others are client errors, 400). */
const statusOf: Record<string, number> = {
  RequestLimitExceeded: 503,
  ServiceUnavailable: 503,
  Unavailable: 503,
  InsufficientInstanceCapacity: 500,
  InternalError: 500,
  InternalFailure: 500,
  ServiceFailure: 500,
};

/** mulberry32: tiny, fast, good enough for fault sampling. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A validation failure of a fault definition, naming the field. */
export class FaultDefinitionError extends Error {
  readonly code = 'InvalidFault';
}

export interface FaultRegistry extends Faults {
  /** Adds a fault from its JSON definition; `{"seed": n}` only reseeds. */
  add(definition: Record<string, unknown>): Fault | undefined;
  /** Removes every fault (they stay readable through `get`). */
  clear(): void;
  /**
   * Any fault ever added, active or not (spent, expired, cleared), with its `fired` count:
   * how a test proves its fault really fired.
   */
  get(id: string): (Fault & { active: boolean }) | undefined;
  /** Seconds of the active iam-propagation-delay fault (0 when none). */
  propagationDelaySeconds(): number;
  /**
   * False for an IAM change made at `createdAt` (epoch ms) that has not propagated yet:
   * made after an iam-propagation-delay fault was added and less than its seconds ago.
   */
  isPropagated(createdAt: number): boolean;
  /** Throws ServiceUnavailable while an `unavailable` fault is active. */
  checkAvailable(): void;
}

const num = (v: unknown, field: string, min = 0): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw new FaultDefinitionError(`${field} must be a number ≥ ${min}`);
  return v;
};
const str = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || !v) throw new FaultDefinitionError(`${field} must be a string`);
  return v;
};
const optStr = (v: unknown, field: string) => (v === undefined ? undefined : str(v, field));

/** Creates the fault registry; `now` is the cloud's clock. */
export function createFaults(now: () => number, seed = 1): FaultRegistry {
  let faults: Fault[] = [];
  const addedAt = new Map<string, number>();
  const history = new Map<string, Fault>();
  let random = rng(seed);
  const listeners: ((f: Fault) => void)[] = [];

  const active = () => {
    const t = now();
    faults = faults.filter((f) => f.kind !== 'unavailable' || f.until > t);
    return faults;
  };

  return {
    list: () => active().slice(),
    random: () => random(),
    onAdded(listener) {
      listeners.push(listener);
    },
    clear() {
      faults = [];
    },
    get(id) {
      const fault = history.get(id);
      return fault && { ...fault, active: active().includes(fault) };
    },
    fired(fault) {
      fault.fired += 1;
    },
    add(def) {
      if (def.seed !== undefined) random = rng(num(def.seed, 'seed'));
      const id = `fault-${randomUUID().slice(0, 8)}`;
      const kind = def.kind ?? (def.error !== undefined ? 'error' : undefined);
      let fault: Fault;
      switch (kind) {
        case undefined:
          if (def.seed !== undefined) return undefined;
          throw new FaultDefinitionError('kind (or error) is required');
        case 'error': {
          const rate = def.rate === undefined ? 1 : num(def.rate, 'rate');
          if (rate > 1) throw new FaultDefinitionError('rate must be between 0 and 1');
          fault = {
            id,
            kind: 'error',
            service: str(def.service, 'service').toLowerCase(),
            action: optStr(def.action, 'action'),
            error: str(def.error, 'error'),
            rate,
            instanceType: optStr(def.instanceType, 'instanceType'),
            availabilityZone: optStr(def.availabilityZone, 'availabilityZone'),
            count: def.count === undefined ? undefined : num(def.count, 'count', 1),
            fired: 0,
          };
          break;
        }
        case 'iam-propagation-delay':
        case 'boot-delay':
          fault = {
            id,
            kind: kind as 'boot-delay',
            seconds: num(def.seconds, 'seconds'),
            fired: 0,
          };
          break;
        case 'interrupt-instance':
          fault = {
            id,
            kind: 'interrupt-instance',
            instanceId: str(def.instanceId, 'instanceId'),
            fired: 0,
          };
          break;
        case 'unavailable': {
          const seconds = num(def.seconds, 'seconds');
          fault = { id, kind: 'unavailable', seconds, until: now() + seconds * 1000, fired: 0 };
          break;
        }
        default:
          throw new FaultDefinitionError(`unknown kind ${JSON.stringify(kind)}`);
      }
      faults.push(fault);
      history.set(fault.id, fault);
      addedAt.set(fault.id, now());
      for (const l of listeners) l(fault);
      return fault;
    },
    check(service, action, detail) {
      for (const f of active()) {
        if (f.kind !== 'error' || f.service !== service) continue;
        if (f.action && f.action !== action) continue;
        // Capacity faults name a pool: they fire only for the matching detail; plain faults
        // fired already when core checked the call, so a detailed check skips them.
        if (detail && !f.instanceType && !f.availabilityZone) continue;
        if (f.instanceType && f.instanceType !== detail?.instanceType) continue;
        if (f.availabilityZone && f.availabilityZone !== detail?.availabilityZone) continue;
        if (f.rate < 1 && random() >= f.rate) continue;
        if (f.count !== undefined) {
          f.count -= 1;
          if (f.count <= 0) faults = faults.filter((x) => x !== f);
        }
        f.fired += 1;
        const status = statusOf[f.error] ?? 400;
        throw new AwsError(f.error, `Injected fault: ${f.error}`, status);
      }
    },
    propagationDelaySeconds() {
      let s = 0;
      for (const f of active()) if (f.kind === 'iam-propagation-delay') s = Math.max(s, f.seconds);
      return s;
    },
    isPropagated(createdAt) {
      const t = now();
      for (const f of active()) {
        if (f.kind !== 'iam-propagation-delay') continue;
        const since = addedAt.get(f.id) ?? 0;
        if (createdAt >= since && createdAt > t - f.seconds * 1000) {
          f.fired += 1;
          return false;
        }
      }
      return true;
    },
    checkAvailable() {
      const down = active().find((f) => f.kind === 'unavailable');
      if (down) {
        down.fired += 1;
        throw new AwsError('ServiceUnavailable', 'Service is unavailable (injected fault)', 503);
      }
    },
  };
}
