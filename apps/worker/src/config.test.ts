import { ValidationError, WORKER_ENV } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig, WORKER_TEST_ENV } from './config.ts';

const good = {
  [WORKER_ENV.controlPlaneUrl]: 'https://ferry.example.com/',
  [WORKER_ENV.clusterId]: 'cl_01jd8x9y7z6w5v4t3s2r1q0p9n',
  [WORKER_ENV.bootstrapToken]: 'ferry_boot_abcdefghijklmnopqrstuvwxyz012345',
  [WORKER_ENV.heartbeatSeconds]: '15',
  [WORKER_ENV.idleTimeoutMins]: '45',
};

function details(env: Record<string, string | undefined>, argv: string[]) {
  try {
    loadWorkerConfig(env, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).details.map((d) => d.path);
  }
  throw new Error('expected a ValidationError');
}

describe('worker configuration', () => {
  it('reads the bootstrap variables and the shutdown flag', () => {
    expect(loadWorkerConfig(good, ['--shutdown=exit'])).toEqual({
      controlPlaneUrl: 'https://ferry.example.com',
      clusterId: good[WORKER_ENV.clusterId],
      bootstrapToken: good[WORKER_ENV.bootstrapToken],
      heartbeatSeconds: 15,
      idleTimeoutMins: 45,
      idleCheckMs: 30_000,
      minuteMs: 60_000,
      shutdown: 'exit',
    });
    expect(loadWorkerConfig(good, ['--shutdown=poweroff']).shutdown).toBe('poweroff');
  });

  it('defaults the timings when the bootstrap leaves them out', () => {
    const c = loadWorkerConfig(
      { ...good, [WORKER_ENV.heartbeatSeconds]: undefined, [WORKER_ENV.idleTimeoutMins]: '' },
      ['--shutdown=exit'],
    );
    expect([c.heartbeatSeconds, c.idleTimeoutMins]).toEqual([30, 60]);
  });

  it('takes the testing knobs: a shorter idle minute and check interval', () => {
    const c = loadWorkerConfig({ ...good, [WORKER_TEST_ENV.idleMinuteSeconds]: '3' }, [
      '--shutdown=exit',
    ]);
    expect(c.minuteMs).toBe(3000);
    expect(c.idleCheckMs).toBe(1500);
    const d = loadWorkerConfig(
      {
        ...good,
        [WORKER_TEST_ENV.idleMinuteSeconds]: '3',
        [WORKER_TEST_ENV.idleCheckSeconds]: '0.25',
      },
      ['--shutdown=exit'],
    );
    expect(d.idleCheckMs).toBe(250);
  });

  it('takes the shutdown mode from the boot script when no flag is given; the flag wins', () => {
    expect(loadWorkerConfig({ ...good, [WORKER_ENV.shutdown]: 'exit' }, []).shutdown).toBe('exit');
    expect(
      loadWorkerConfig({ ...good, [WORKER_ENV.shutdown]: 'exit' }, ['--shutdown=poweroff'])
        .shutdown,
    ).toBe('poweroff');
    expect(details({ ...good, [WORKER_ENV.shutdown]: 'halt' }, [])).toEqual([
      `env.${WORKER_ENV.shutdown}`,
    ]);
  });

  it('names every missing variable and the missing flag', () => {
    expect(details({}, [])).toEqual([
      `env.${WORKER_ENV.controlPlaneUrl}`,
      `env.${WORKER_ENV.clusterId}`,
      `env.${WORKER_ENV.bootstrapToken}`,
      'flags.shutdown',
    ]);
  });

  it('names each malformed value, without echoing the bootstrap token', () => {
    const env = {
      [WORKER_ENV.controlPlaneUrl]: 'ftp://ferry.example.com',
      [WORKER_ENV.clusterId]: 'ws_01jd8x9y7z6w5v4t3s2r1q0p9n',
      [WORKER_ENV.bootstrapToken]: 'not-a-token-but-secret-ish',
      [WORKER_ENV.heartbeatSeconds]: '1.5',
      [WORKER_ENV.idleTimeoutMins]: '0',
      [WORKER_TEST_ENV.idleMinuteSeconds]: 'soon',
      [WORKER_TEST_ENV.idleCheckSeconds]: '-1',
    };
    expect(details(env, ['--shutdown=halt', '--verbose'])).toEqual([
      `env.${WORKER_ENV.controlPlaneUrl}`,
      `env.${WORKER_ENV.clusterId}`,
      `env.${WORKER_ENV.bootstrapToken}`,
      `env.${WORKER_ENV.heartbeatSeconds}`,
      `env.${WORKER_ENV.idleTimeoutMins}`,
      `env.${WORKER_TEST_ENV.idleMinuteSeconds}`,
      `env.${WORKER_TEST_ENV.idleCheckSeconds}`,
      'flags.shutdown',
      'flags',
    ]);
    let message = '';
    try {
      loadWorkerConfig(env, ['--shutdown=exit']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`env.${WORKER_ENV.bootstrapToken} must be a bootstrap token`);
    expect(message).toContain(
      `env.${WORKER_ENV.idleTimeoutMins} must be a whole number of minutes ≥ 1, got "0"`,
    );
    expect(message).not.toContain('secret-ish');
  });
});
