import { describe, expect, it } from 'vitest';
import { EXPIRED_KEPT_MS, SWEEP_EVERY_MS, createCredentialStore } from './credential-store.ts';
import type { CredentialPrincipal } from './credential-store.ts';
import { createStateStore } from './state-store.ts';

const session: CredentialPrincipal = {
  type: 'session',
  roleName: 'R',
  roleArn: 'arn:aws:iam::111111111111:role/R',
  roleId: 'AROAEXAMPLE',
  roleSessionName: 's',
  sessionPolicies: [],
  sessionTags: {},
  transitiveTagKeys: [],
  chained: false,
};

describe('credential store', () => {
  it('sweeps expired session credentials as new ones are issued, keeping live keys and user keys', () => {
    const store = createCredentialStore(createStateStore());
    const account = store.createAccount('sweep', 0);
    const userKey = store.issue(account.accountId, { type: 'user', userName: 'admin' }, 0);
    const t0 = 1_000_000;
    const short = Array.from({ length: 50 }, () =>
      store.issue(account.accountId, session, t0, t0 + 900_000),
    );
    const long = store.issue(account.accountId, session, t0, t0 + 12 * 3600_000);

    // Just expired: still known (callers hear ExpiredToken), not yet swept.
    const justExpired = t0 + 900_000 + SWEEP_EVERY_MS;
    store.issue(account.accountId, session, justExpired, justExpired + 900_000);
    for (const k of short) expect(store.get(k.accessKeyId)).toBeDefined();

    // Past the grace: the next issue drops every expired key and nothing else.
    const later = t0 + 900_000 + EXPIRED_KEPT_MS + SWEEP_EVERY_MS + 1;
    const fresh = store.issue(account.accountId, session, later, later + 900_000);
    for (const k of short) expect(store.get(k.accessKeyId)).toBeUndefined();
    expect(store.get(long.accessKeyId)).toBeDefined();
    expect(store.get(userKey.accessKeyId)).toBeDefined();
    expect(store.get(fresh.accessKeyId)).toBeDefined();
    expect(store.sweep(later)).toBe(0);

    // Sweeping runs at most once per SWEEP_EVERY_MS of issuing; sweep() itself always runs.
    const afterLong = t0 + 12 * 3600_000 + EXPIRED_KEPT_MS + 1;
    expect(store.sweep(afterLong)).toBe(3); // long, fresh and the one issued at justExpired
    expect(store.get(long.accessKeyId)).toBeUndefined();
  });
});
