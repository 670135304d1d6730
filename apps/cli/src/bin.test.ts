import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const node = `${root}node_modules/.bin/node`;
const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));
const run = promisify(execFile);

// Each test starts a Node process; on a busy machine that alone takes seconds.
describe('the ferry binary', { timeout: 120_000 }, () => {
  it('is an executable node script linked as node_modules/.bin/ferry', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    accessSync(bin, constants.X_OK);
    accessSync(`${root}node_modules/.bin/ferry`, constants.X_OK);
  });

  it('prints the template as JSON', async () => {
    const { stdout } = await run(node, [bin, 'template', '--format', 'json'], { cwd: root });
    const template = JSON.parse(stdout) as { Resources: Record<string, { Type: string }> };
    expect(template.Resources.UserInitiatedRole?.Type).toBe('AWS::IAM::Role');
  });

  it('exits 1 with one clear line on bad input', async () => {
    const error = await run(node, [bin, 'template', '--external-id', 'a b'], { cwd: root }).then(
      () => undefined,
      (e: unknown) => e as { code: number; stderr: string; stdout: string },
    );
    expect(error?.code).toBe(1);
    expect(error?.stdout).toBe('');
    expect(error?.stderr.trim().split('\n')).toHaveLength(1);
    expect(error?.stderr).toContain('--external-id (ExternalId:');
  });
});
