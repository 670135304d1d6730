/**
 * Re-encryption after a secrets-key rotation: every stored ciphertext that names a key other
 * than the primary one is decrypted (with the previous keys the ring still holds) and
 * encrypted again under the primary key, with the same associated data. Each row is
 * updated only if it still holds the ciphertext that was read, so a concurrent change (a
 * key replaced meanwhile) is never overwritten.
 */
import type { Resources } from '../resources.ts';
import { secretAad } from '../connections/connections.ts';

/** How many ciphertexts were re-encrypted, per table. */
export interface ReencryptionReport {
  connections: number;
  serverKeys: number;
}

/** Re-encrypts every ciphertext not under the primary key. */
export async function reencryptSecrets(
  resources: Pick<Resources, 'db' | 'secrets'>,
): Promise<ReencryptionReport> {
  const db = resources.db;
  const { secrets } = resources;
  const report: ReencryptionReport = { connections: 0, serverKeys: 0 };
  const rows = await db
    .selectFrom('connections')
    .select(['id', 'secret_ciphertext'])
    .where('secret_ciphertext', 'is not', null)
    .execute();
  for (const row of rows) {
    const old = row.secret_ciphertext!;
    if (!secrets.needsReencryption(old)) continue;
    const aad = secretAad(row.id);
    const fresh = secrets.encrypt(secrets.decrypt(old, aad), aad);
    const done = await db
      .updateTable('connections')
      .set({ secret_ciphertext: fresh })
      .where('id', '=', row.id)
      .where('secret_ciphertext', '=', old)
      .executeTakeFirst();
    report.connections += Number(done.numUpdatedRows);
  }
  const keys = await db
    .selectFrom('server_keys')
    .select(['name', 'private_key_ciphertext'])
    .execute();
  for (const key of keys) {
    if (!secrets.needsReencryption(key.private_key_ciphertext)) continue;
    // Server keys are bound to their row name (e.g. QUERY_TOKEN_KEY, query-signing-key.ts).
    const aad = key.name;
    const fresh = secrets.encrypt(secrets.decrypt(key.private_key_ciphertext, aad), aad);
    const done = await db
      .updateTable('server_keys')
      .set({ private_key_ciphertext: fresh })
      .where('name', '=', key.name)
      .where('private_key_ciphertext', '=', key.private_key_ciphertext)
      .executeTakeFirst();
    report.serverKeys += Number(done.numUpdatedRows);
  }
  return report;
}
