/**
 * The secrets key ring: encrypts secrets at rest with AES-256-GCM under the primary key
 * and decrypts with whichever key a ciphertext names, so keys can be rotated (add a new
 * primary, keep the old one as previous, re-encrypt, then drop the old one).
 *
 * Ciphertext format: `v1.<key id>.<base64url(iv ‖ tag ‖ ciphertext)>`; the key id is the
 * first 8 bytes of SHA-256 over the key, in hex, so it names a key without revealing it.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A ciphertext names a key the ring does not hold, or failed authentication. */
export class SecretsKeyError extends Error {
  readonly code: 'secrets_key_unknown' | 'secrets_ciphertext_invalid';
  constructor(code: SecretsKeyError['code'], message: string) {
    super(message);
    this.name = 'SecretsKeyError';
    this.code = code;
  }
}

/** Encrypts under the primary key; decrypts under any key of the ring. */
export interface SecretsKeyRing {
  /** Id of the primary key (what new ciphertexts carry). */
  readonly primaryKeyId: string;
  encrypt(plaintext: string, associatedData?: string): string;
  decrypt(ciphertext: string, associatedData?: string): string;
  /** The key id a ciphertext was made with. */
  keyIdOf(ciphertext: string): string;
  /** True when the ciphertext is not under the primary key (a re-encryption candidate). */
  needsReencryption(ciphertext: string): boolean;
}

/** Generates a fresh 32-byte key, base64. */
export function generateSecretsKey(): string {
  return randomBytes(32).toString('base64');
}

/** The key id of a base64 key. */
export function secretsKeyId(keyBase64: string): string {
  return createHash('sha256').update(decodeKey(keyBase64)).digest('hex').slice(0, 16);
}

function decodeKey(keyBase64: string): Buffer {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('a secrets key must be 32 bytes (base64)');
  return key;
}

/** Creates a ring from the primary key and any previous keys (all base64). */
export function createSecretsKeyRing(
  primary: string,
  previous: readonly string[] = [],
): SecretsKeyRing {
  const keys = new Map<string, Buffer>();
  for (const k of [primary, ...previous]) keys.set(secretsKeyId(k), decodeKey(k));
  const primaryKeyId = secretsKeyId(primary);
  const primaryKey = decodeKey(primary);

  const parse = (ciphertext: string) => {
    const parts = ciphertext.split('.');
    if (parts.length !== 3 || parts[0] !== 'v1' || !/^[0-9a-f]{16}$/.test(parts[1] ?? '')) {
      throw new SecretsKeyError('secrets_ciphertext_invalid', 'not a ferry ciphertext');
    }
    return { keyId: parts[1] ?? '', body: Buffer.from(parts[2] ?? '', 'base64url') };
  };

  return {
    primaryKeyId,
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', primaryKey, iv);
      if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const body = Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
      return `v1.${primaryKeyId}.${body}`;
    },
    decrypt(ciphertext, associatedData) {
      const { keyId, body } = parse(ciphertext);
      const key = keys.get(keyId);
      if (!key) {
        throw new SecretsKeyError(
          'secrets_key_unknown',
          `ciphertext was made with key ${keyId}, which is not in the key ring`,
        );
      }
      if (body.length < 28) {
        throw new SecretsKeyError('secrets_ciphertext_invalid', 'ciphertext is truncated');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
        decipher.setAuthTag(body.subarray(12, 28));
        if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        return Buffer.concat([decipher.update(body.subarray(28)), decipher.final()]).toString(
          'utf8',
        );
      } catch (cause) {
        throw new SecretsKeyError(
          'secrets_ciphertext_invalid',
          `ciphertext failed authentication${cause instanceof Error ? '' : ''}`,
        );
      }
    },
    keyIdOf: (ciphertext) => parse(ciphertext).keyId,
    needsReencryption: (ciphertext) => parse(ciphertext).keyId !== primaryKeyId,
  };
}
