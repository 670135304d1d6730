import { describe, expect, it } from 'vitest';
import { idPattern, isId, newId } from './ids.ts';

describe('ids', () => {
  it('carries the kind prefix and matches its pattern', () => {
    const id = newId('org');
    expect(id).toMatch(/^org_[0-9a-z]{26}$/);
    expect(isId('org', id)).toBe(true);
    expect(isId('workspace', id)).toBe(false);
    expect(idPattern('workspace').test(newId('workspace'))).toBe(true);
  });

  it('sorts by creation time', () => {
    const a = newId('audit', 1_700_000_000_000);
    const b = newId('audit', 1_700_000_000_001);
    const c = newId('audit', 1_800_000_000_000);
    expect([c, b, a].sort()).toEqual([a, b, c]);
  });

  it('rejects malformed values', () => {
    for (const bad of ['', 'org_', 'org_UPPERCASE0000000000000000', 'org_0123', 42, null]) {
      expect(isId('org', bad)).toBe(false);
    }
  });
});
