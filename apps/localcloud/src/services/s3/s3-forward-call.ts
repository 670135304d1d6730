import type { Call } from '../../core/contract.ts';

/** A request's call as core authenticated it, before the gateway names its operation. */
export type ForwardCall = Omit<Call, 'action' | 'input'>;
