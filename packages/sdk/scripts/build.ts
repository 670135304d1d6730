/**
 * Builds the publishable SDK into `dist/`: one ES module (ferry's own packages and zod
 * bundled in, nodejs-polars left to the user's install), `.d.ts` files from the sources
 * (internal members stripped, so the public types reference nothing unpublished), and a
 * package.json of its own. Node strips types only outside `node_modules`, so the package
 * must ship JavaScript. `npm pack dist` then makes the tarball.
 */
import { execFileSync } from 'node:child_process';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Builds `dist/` and returns its path. */
export async function buildSdk(): Promise<string> {
  await rm(dist, { recursive: true, force: true });
  await build({
    input: join(root, 'src/index.ts'),
    platform: 'node',
    external: [/^node:/, 'nodejs-polars'],
    output: { file: join(dist, 'index.js'), format: 'esm' },
    logLevel: 'warn',
  });
  const tsc = join(root, '../../node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  // The declarations keep the sources' `.ts` specifiers; published packages use `.js`.
  const types = join(dist, 'types');
  for (const file of await readdir(types)) {
    const path = join(types, file);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/(from '\.\/[^']+)\.ts'/g, "$1.js'"));
  }
  const source = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    version: string;
    description: string;
    license: string;
    peerDependencies: Record<string, string>;
  };
  const manifest = {
    name: '@ferry/sdk',
    version: source.version,
    description: source.description,
    license: source.license,
    type: 'module',
    exports: { '.': { types: './types/index.d.ts', default: './index.js' } },
    types: './types/index.d.ts',
    engines: { node: '>=22' },
    peerDependencies: source.peerDependencies,
  };
  await writeFile(join(dist, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await cp(join(root, 'README.md'), join(dist, 'README.md'));
  await cp(join(root, '../../LICENSE'), join(dist, 'LICENSE'));
  return dist;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildSdk();
  process.stdout.write(`built ${out}\n`);
}
