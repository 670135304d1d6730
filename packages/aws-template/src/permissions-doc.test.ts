import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, TRUST } from './permission-registry.ts';
import { PERMISSIONS_DOC_PATH, renderPermissionsDoc } from './permissions-doc.ts';

describe('docs/aws-permissions.md', () => {
  it('is the committed rendering of the registry (run `npm run docs -w @ferry/aws-template`)', () => {
    const file = fileURLToPath(new URL(`../../../${PERMISSIONS_DOC_PATH}`, import.meta.url));
    expect(readFileSync(file, 'utf8')).toBe(renderPermissionsDoc());
  });

  it('lists every action of every role with its reason', () => {
    const doc = renderPermissionsDoc();
    for (const e of PERMISSIONS) {
      expect(doc).toContain(`**${e.action}** — ${e.why}`);
    }
    for (const t of TRUST) expect(doc).toContain(t.why);
  });
});
