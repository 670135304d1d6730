import { describe, expect, it } from 'vitest';
import { startWithRetry } from './start-with-retry.ts';

describe('startWithRetry', () => {
  it('tries again after a failure, waiting longer each time', async () => {
    const at: number[] = [];
    const failures: number[] = [];
    const started = await startWithRetry(
      () => {
        at.push(Date.now());
        return at.length < 3 ? Promise.reject(new Error('slow')) : Promise.resolve('up');
      },
      { attempts: 5, firstDelayMs: 50, onFailure: (_e, n) => failures.push(n) },
    );
    expect(started).toBe('up');
    expect(failures).toEqual([1, 2]);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(45);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(95);
  });

  it('throws the last error once the attempts are spent', async () => {
    let n = 0;
    await expect(
      startWithRetry(() => Promise.reject(new Error(`failure ${++n}`)), {
        attempts: 3,
        firstDelayMs: 1,
      }),
    ).rejects.toThrow('failure 3');
    expect(n).toBe(3);
  });
});
