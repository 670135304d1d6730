/** `--scope a,b --scope c`: permissions a token or service account may use. */
import { InvalidArgumentError } from 'commander';
import { PERMISSIONS, type Permission } from '@ferry/core';

/** Commander collector of a repeatable, comma-separated `--scope`; each one is checked. */
export function collectScopes(value: string, previous: Permission[] | undefined): Permission[] {
  const out = [...(previous ?? [])];
  for (const s of value
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')) {
    if (!(PERMISSIONS as readonly string[]).includes(s))
      throw new InvalidArgumentError(`unknown scope '${s}'; scopes are ${PERMISSIONS.join(', ')}`);
    if (!out.includes(s as Permission)) out.push(s as Permission);
  }
  return out;
}
