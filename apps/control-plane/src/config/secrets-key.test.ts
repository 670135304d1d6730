import { describe, expect, it } from 'vitest';
import { createSecretsKeyRing, generateSecretsKey, SecretsKeyError } from './secrets-key.ts';

describe('secrets key ring', () => {
  it('round-trips and never produces the same ciphertext twice', () => {
    const ring = createSecretsKeyRing(generateSecretsKey());
    const a = ring.encrypt('AKIA-style secret');
    const b = ring.encrypt('AKIA-style secret');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^v1\\.${ring.primaryKeyId}\\.[A-Za-z0-9_-]+$`));
    expect(ring.decrypt(a)).toBe('AKIA-style secret');
  });

  it('binds associated data: a ciphertext moved to another record does not decrypt', () => {
    const ring = createSecretsKeyRing(generateSecretsKey());
    const c = ring.encrypt('s3cr3t', 'connection:1');
    expect(ring.decrypt(c, 'connection:1')).toBe('s3cr3t');
    expect(() => ring.decrypt(c, 'connection:2')).toThrow(SecretsKeyError);
  });

  it('rotates: old ciphertexts decrypt with the previous key and are flagged for re-encryption', () => {
    const oldKey = generateSecretsKey();
    const newKey = generateSecretsKey();
    const before = createSecretsKeyRing(oldKey);
    const stored = before.encrypt('value');
    const during = createSecretsKeyRing(newKey, [oldKey]);
    expect(during.needsReencryption(stored)).toBe(true);
    expect(during.decrypt(stored)).toBe('value');
    const reencrypted = during.encrypt(during.decrypt(stored));
    expect(during.needsReencryption(reencrypted)).toBe(false);
    const after = createSecretsKeyRing(newKey);
    expect(after.decrypt(reencrypted)).toBe('value');
    const err = (() => {
      try {
        after.decrypt(stored);
      } catch (e) {
        return e as SecretsKeyError;
      }
    })();
    expect(err?.code).toBe('secrets_key_unknown');
    expect(err?.message).not.toContain(oldKey);
  });

  it('rejects tampered and malformed ciphertexts', () => {
    const ring = createSecretsKeyRing(generateSecretsKey());
    const c = ring.encrypt('value');
    const body = c.split('.')[2] ?? '';
    const flipped = `${c.slice(0, c.length - body.length)}${body.slice(0, -2)}${body.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(() => ring.decrypt(flipped)).toThrow(SecretsKeyError);
    expect(() => ring.decrypt('plain text')).toThrow(SecretsKeyError);
    expect(() => createSecretsKeyRing('c2hvcnQ=')).toThrow('32 bytes');
  });
});
