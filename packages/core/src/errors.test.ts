import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  FerryError,
  LastAdminError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
  isFerryError,
} from './errors.ts';

describe('errors', () => {
  it('carry a stable code, status, fault and retryability', () => {
    const v = new ValidationError('bad', { details: [{ path: 'body.name', message: 'Required' }] });
    expect([v.code, v.status, v.fault, v.retryable]).toEqual([
      'validation_failed',
      400,
      'client',
      false,
    ]);
    expect(v.details[0]?.path).toBe('body.name');
    expect(v.name).toBe('ValidationError');
    expect(new NotFoundError().status).toBe(404);
    expect(new RateLimitedError(3).retryable).toBe(true);
    const last = new LastAdminError();
    expect(last).toBeInstanceOf(ConflictError);
    expect([last.code, last.status]).toEqual(['last_admin', 409]);
    expect(isFerryError(last)).toBe(true);
    expect(isFerryError(new Error('x'))).toBe(false);
  });

  it('keep the cause', () => {
    const cause = new Error('root');
    const e = new FerryError(
      { code: 'x', status: 500, fault: 'server', retryable: true, message: 'm' },
      { cause },
    );
    expect(e.cause).toBe(cause);
  });
});
