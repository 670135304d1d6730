/**
 * The control plane's Ed25519 key that signs query tokens. One key for the installation:
 * the first replica to need it generates it and stores the private half encrypted with the
 * secrets key ring (like every other server secret); every replica then reads the same row.
 * Workers receive the public half (SPKI PEM) when they register.
 */
import { afterCommit } from '../db/after-commit.ts';
import { poolOf } from '../http/request-transaction.ts';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Resources } from '../resources.ts';

/** The row name of the query-token key. */
export const QUERY_TOKEN_KEY = 'query-token-ed25519';

/** The signing key and its public half. */
export interface QuerySigningKey {
  readonly privateKey: KeyObject;
  /** SPKI PEM: what workers verify tokens with. */
  readonly publicKeyPem: string;
}

const cache = new WeakMap<object, Promise<QuerySigningKey>>();

async function loadOrCreate(
  resources: Pick<Resources, 'db' | 'secrets' | 'clock'>,
): Promise<QuerySigningKey> {
  const db = resources.db;
  const read = () =>
    db.selectFrom('server_keys').selectAll().where('name', '=', QUERY_TOKEN_KEY).executeTakeFirst();
  let row = await read();
  if (row === undefined) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await db
      .insertInto('server_keys')
      .values({
        name: QUERY_TOKEN_KEY,
        private_key_ciphertext: resources.secrets.encrypt(pem, QUERY_TOKEN_KEY),
        public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        created_at: resources.clock.now(),
      })
      // Another replica may have won the race: everyone uses the row that is stored.
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    row = await read();
    if (row === undefined) throw new Error('the query-token key could not be stored');
  }
  const pem = resources.secrets.decrypt(row.private_key_ciphertext, QUERY_TOKEN_KEY);
  return { privateKey: createPrivateKey(pem), publicKeyPem: row.public_key_pem };
}

/** The installation's query-token signing key (generated once, cached per installation's database). */
export function querySigningKey(
  resources: Pick<Resources, 'db' | 'secrets' | 'clock'>,
): Promise<QuerySigningKey> {
  const pool = poolOf(resources.db);
  const cached = cache.get(pool);
  if (cached !== undefined) return cached;
  const key = loadOrCreate(resources);
  // A key made in a request's transaction is remembered once it is committed; a failed
  // load is not remembered: the next call tries again.
  const remember = () => cache.set(pool, key);
  if (!afterCommit(resources.db, remember)) remember();
  key.catch(() => cache.delete(pool));
  return key;
}
