import { EXTERNAL_ID_PATTERN } from '@ferry/aws-template';
import { describe, expect, it } from 'vitest';
import { newExternalId } from './setup-service.ts';

describe('external IDs', () => {
  it('are long, in STS charset, and never repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newExternalId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id.length).toBeGreaterThanOrEqual(32);
      expect(id).toMatch(new RegExp(`^${EXTERNAL_ID_PATTERN}$`));
    }
  });
});
