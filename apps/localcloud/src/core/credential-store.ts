/**
 * Accounts and every credential localcloud accepts: IAM users' access keys and STS session
 * credentials. Kept in the state store, so they survive a restart with `--state-dir`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { NamedPolicy } from '@ferry/iam';
import type { StateStore } from './state-store.ts';

/** Whose credentials these are. */
export type CredentialPrincipal =
  | { type: 'root' }
  | { type: 'user'; userName: string }
  /** GetSessionToken: temporary credentials of an IAM user. */
  | { type: 'user-session'; userName: string }
  | {
      type: 'session';
      roleName: string;
      roleArn: string;
      roleId: string;
      roleSessionName: string;
      sessionPolicies: NamedPolicy[];
      sessionTags: Record<string, string>;
      transitiveTagKeys: string[];
      sourceIdentity?: string;
      chained: boolean;
    };

export interface CredentialRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  accountId: string;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt?: number;
  /** Not accepted before this time (epoch ms): IAM propagation delay of new keys. */
  notBefore?: number;
  status: 'Active' | 'Inactive';
  principal: CredentialPrincipal;
}

export interface Account {
  accountId: string;
  name?: string;
  createdAt: number;
}

interface CoreState {
  accounts: Record<string, Account>;
  keys: Record<string, CredentialRecord>;
}

export interface CredentialStore {
  createAccount(name: string | undefined, now: number): Account;
  account(accountId: string): Account | undefined;
  accounts(): Account[];
  /** Issues a new key pair (with a session token for sessions). */
  issue(
    accountId: string,
    principal: CredentialPrincipal,
    now: number,
    expiresAt?: number,
  ): CredentialRecord;
  get(accessKeyId: string): CredentialRecord | undefined;
  revoke(accessKeyId: string): void;
  /** Keys of one IAM user. */
  forUser(accountId: string, userName: string): CredentialRecord[];
  /**
   * Drops credentials expired more than `EXPIRED_KEPT_MS` ago (until then a caller still
   * hears `ExpiredToken` rather than an unknown key); returns how many. `issue` runs it at
   * most once per `SWEEP_EVERY_MS`, so the store holds what is live, not every session ever.
   */
  sweep(now: number): number;
}

/** How long an expired credential is still recognised (answered `ExpiredToken`). */
export const EXPIRED_KEPT_MS = 3600_000;
/** How often, at most, issuing a credential sweeps the expired ones. */
export const SWEEP_EVERY_MS = 60_000;

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function keyId(prefix: string): string {
  const bytes = randomBytes(16);
  let s = prefix;
  for (let i = 0; s.length < 20; i++) s += ALPHANUM[(bytes[i % 16] as number) % 32];
  return s;
}

/** Creates the credential store on top of the state store. */
export function createCredentialStore(store: StateStore): CredentialStore {
  const state = () =>
    store.get<CoreState>('core', 'global', 'global', () => ({ accounts: {}, keys: {} }));
  let nextSweep = 0;
  const sweep = (now: number): number => {
    const keys = state().keys;
    let removed = 0;
    for (const [id, k] of Object.entries(keys)) {
      if (k.expiresAt !== undefined && k.expiresAt < now - EXPIRED_KEPT_MS) {
        delete keys[id];
        removed++;
      }
    }
    if (removed > 0) store.markDirty();
    return removed;
  };
  return {
    createAccount(name, now) {
      const s = state();
      let accountId: string;
      do {
        accountId = String(randomInt(100000, 999999)) + String(randomInt(100000, 999999));
      } while (s.accounts[accountId]);
      const account: Account = { accountId, name, createdAt: now };
      s.accounts[accountId] = account;
      store.markDirty();
      return account;
    },
    account: (id) => state().accounts[id],
    accounts: () => Object.values(state().accounts),
    issue(accountId, principal, now, expiresAt) {
      if (now >= nextSweep) {
        sweep(now);
        nextSweep = now + SWEEP_EVERY_MS;
      }
      const session = principal.type === 'session' || principal.type === 'user-session';
      const record: CredentialRecord = {
        accessKeyId: keyId(session ? 'ASIA' : 'AKIA'),
        secretAccessKey: randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40),
        sessionToken: session ? randomBytes(96).toString('base64') : undefined,
        accountId,
        createdAt: now,
        expiresAt,
        status: 'Active',
        principal,
      };
      state().keys[record.accessKeyId] = record;
      store.markDirty();
      return record;
    },
    get: (id) => state().keys[id],
    revoke(id) {
      delete state().keys[id];
      store.markDirty();
    },
    forUser(accountId, userName) {
      return Object.values(state().keys).filter(
        (k) =>
          k.accountId === accountId &&
          k.principal.type === 'user' &&
          k.principal.userName === userName,
      );
    },
    sweep,
  };
}
