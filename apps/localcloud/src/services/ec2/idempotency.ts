/**
 * ClientToken idempotency as EC2 defines it: per account and region, a repeated request
 * with the same token and the same parameters returns the original result; the same token
 * with different parameters fails with IdempotentParameterMismatch.
 */
import type { Call } from '../../core/contract.ts';
import { ec2Error } from './errors.ts';
import type { Ec2State } from './state.ts';

/** Tokens are kept this long after their last use (EC2 keeps them at least 24 hours). */
const TOKEN_TTL_MS = 24 * 3600_000;

function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The request's parameters without the token and DryRun, in a canonical form. */
export function fingerprint(input: Record<string, unknown>): string {
  const { ClientToken: _t, DryRun: _d, ...rest } = input;
  return canonical(rest);
}

/** The client token of a call, validated (≤ 64 ASCII characters). */
export function clientToken(call: Call): string | undefined {
  const token = call.input.ClientToken;
  if (typeof token !== 'string' || token === '') return undefined;
  if (token.length > 64 || !/^[\x20-\x7e]+$/.test(token)) {
    throw ec2Error(
      'InvalidParameterValue',
      'Value for parameter ClientToken is invalid: at most 64 ASCII characters.',
    );
  }
  return token;
}

/**
 * The payload remembered for this call's token, or undefined when the token is new (or
 * absent). Throws IdempotentParameterMismatch when the token was used with other parameters.
 */
export function recall<T>(state: Ec2State, call: Call, now: number): T | undefined {
  for (const [k, r] of Object.entries(state.clientTokens)) {
    if (r.at + TOKEN_TTL_MS < now) delete state.clientTokens[k];
  }
  const token = clientToken(call);
  if (!token) return undefined;
  const record = state.clientTokens[`${call.action}:${token}`];
  if (!record) return undefined;
  if (record.fingerprint !== fingerprint(call.input)) {
    throw ec2Error(
      'IdempotentParameterMismatch',
      `Client token '${token}' was already used with different parameters.`,
    );
  }
  record.at = now;
  return record.output as T;
}

/** Remembers the payload for this call's token (no-op without a token). */
export function remember(state: Ec2State, call: Call, payload: unknown, now: number): void {
  const token = clientToken(call);
  if (!token) return;
  state.clientTokens[`${call.action}:${token}`] = {
    action: call.action,
    fingerprint: fingerprint(call.input),
    output: payload,
    at: now,
  };
}
