/** Writes docs/cli.md from the commands' own help. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI_DOC_PATH, renderCliDoc } from '../src/cli-docs.ts';

const target = fileURLToPath(new URL(`../../../${CLI_DOC_PATH}`, import.meta.url));
writeFileSync(target, renderCliDoc());
console.log(`wrote ${CLI_DOC_PATH}`);
