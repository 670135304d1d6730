/**
 * Finds the secrets key: the configured one, or for the embedded database the key file in
 * the data directory, generated (mode 0600) at first start. With PostgreSQL the key must be
 * configured, because every replica needs the same one.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config-schema.ts';
import { secretsKeySchema } from './config-schema.ts';
import { generateSecretsKey } from './secrets-key.ts';

/** File name of the generated key inside the data directory. */
export const SECRETS_KEY_FILE = 'secrets.key';

/** Returns the primary key (base64), creating the key file when needed. */
export async function ensureSecretsKey(config: Config): Promise<string> {
  if (config.secretsKey) return config.secretsKey;
  if (config.database.url) {
    throw new Error('FERRY_SECRETS_KEY: required with DATABASE_URL');
  }
  const path = join(config.database.dataDir, SECRETS_KEY_FILE);
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (!secretsKeySchema.safeParse(key).success) {
      throw new Error(`${path}: expected 32 bytes in base64`);
    }
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(config.database.dataDir, { recursive: true });
  const key = generateSecretsKey();
  // 'wx': never overwrite a key another process wrote in the meantime.
  try {
    await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return ensureSecretsKey(config);
    throw err;
  }
}
