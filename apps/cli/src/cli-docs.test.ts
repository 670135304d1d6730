import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_DOC_PATH, renderCliDoc } from './cli-docs.ts';
import { createBufferIo } from './cli-io.ts';
import { allCommands, buildProgram } from './program.ts';

describe('docs/cli.md', () => {
  it('is the committed rendering of the commands’ help (run `npm run docs -w @ferry/cli`)', () => {
    const file = fileURLToPath(new URL(`../../../${CLI_DOC_PATH}`, import.meta.url));
    expect(readFileSync(file, 'utf8')).toBe(renderCliDoc());
  });

  it('has a section for every command', () => {
    const doc = renderCliDoc();
    const program = buildProgram({ io: createBufferIo(), exitCode: 0, env: {} });
    for (const c of allCommands(program).filter((x) => x.name() !== 'help' && x.parent !== null))
      expect(doc).toMatch(new RegExp(`\\n### ferry .*\\b${c.name()}\\n`));
  });
});
