/**
 * The SDK as users get it: built (`packages/sdk/scripts/build.ts`), packed with `npm pack`,
 * installed from the tarball into a scratch project outside the repository (where Node
 * refuses to strip types, so only the compiled JavaScript can run), type-checked against
 * its shipped `.d.ts` (queries, reads through data connections, and data connections) and run: a plan carrying credentials is refused before anything is
 * sent, and missing settings are named.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildSdk } from '../../packages/sdk/scripts/build.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let scratch: string;

const CONSUMER_TS = `
import pl from 'nodejs-polars';
import {
  ComputeContext, remote, sql, scanConnection, PlanRefusedError, type QueryResult,
  prepareConnection, testConnection, createConnection, listConnections,
  type ConnectionTarget, type ConnectionTest, type DataConnection, type DataConnectionDetail,
} from '@ferry/sdk';

export async function run(ctx: ComputeContext): Promise<number> {
  const result: QueryResult = await remote(pl.scanParquet('s3://bucket/x.parquet'), ctx).execute();
  const top = await sql(ctx, 'SELECT 1 AS one').show(5);
  const events: pl.LazyDataFrame = await scanConnection(ctx, 'sales', '2026/*.parquet');
  await remote(events.head(1), ctx, { connections: ['sales'] }).execute();
  return result.rowCount + top.height + (new PlanRefusedError('x', 'y').code === 'x' ? 0 : 1);
}

export async function connect(roleArn: string): Promise<string> {
  const target: ConnectionTarget = { type: 's3', bucket: 'sales', prefix: 'events/', region: 'eu-west-1' };
  const { policies } = await prepareConnection({ target, name: 'sales' });
  const auth = { kind: 'role', roleArn, externalId: policies.externalId ?? '' } as const;
  const test: ConnectionTest = await testConnection({ target, auth });
  const saved: DataConnectionDetail = await createConnection({ name: 'sales', target, auth, skipTest: !test.ok });
  const all: DataConnection[] = await listConnections({ workspace: 'analytics' });
  return saved.state + all.length + test.checks.map((c) => c.outcome).join();
}
`;

const CONSUMER_MJS = `
import pl from 'nodejs-polars';
import { ComputeContext, remote, PlanRefusedError, FerryAuthError, FERRY_VERSION } from '@ferry/sdk';

const out = { version: FERRY_VERSION };
try {
  new ComputeContext({ token: 'x' });
} catch (err) {
  out.missingUrl = { name: err.name, code: err.code, message: err.message, auth: err instanceof FerryAuthError };
}
const ctx = await ComputeContext.connect('cl_00000000000000000000000000', {
  url: 'http://127.0.0.1:9', token: 'ferry_pat_x', workspace: 'ws_00000000000000000000000000',
}).catch((err) => ({ error: err }));
out.unreachable = ctx.error ? { name: ctx.error.name, message: String(ctx.error.message) } : null;
// A plan with credentials is refused before anything is sent (the URL is not even reachable).
const lf = pl.scanParquet('s3://bucket/trips/*.parquet', {
  cloudOptions: { aws_access_key_id: 'AKIAEXAMPLE', aws_secret_access_key: 'secret', aws_region: 'us-east-1' },
});
const fakeCtx = Object.create(ComputeContext.prototype);
fakeCtx.transport = () => ({ mode: 'direct', versions: async () => undefined, submit: async () => { throw new Error('sent'); } });
try {
  await remote(lf, fakeCtx).execute();
} catch (err) {
  out.refused = { name: err.name, code: err.code, message: err.message, isPlanRefused: err instanceof PlanRefusedError };
}
process.stdout.write(JSON.stringify(out));
`;

beforeAll(async () => {
  const dist = await buildSdk();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-sdk-consumer-'));
  execFileSync('npm', ['pack', dist, '--pack-destination', scratch, '--silent'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = (await readdir(scratch)).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack made no tarball');
  await writeFile(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  execFileSync(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      `./${tarball}`,
      'nodejs-polars@0.26.1',
      'nodejs-polars-linux-x64-gnu@0.26.1',
      '@types/node@24',
    ],
    { cwd: scratch, stdio: ['ignore', 'pipe', 'inherit'] },
  );
}, 300_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

it('the installed package type-checks against its own .d.ts', async () => {
  await writeFile(join(scratch, 'consumer.ts'), CONSUMER_TS);
  await writeFile(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  );
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
  const out = (() => {
    try {
      return execFileSync(process.execPath, [tsc, '-p', scratch], { encoding: 'utf8' });
    } catch (err) {
      return String((err as { stdout?: string }).stdout);
    }
  })();
  // nodejs-polars' own declarations are not strict-clean; only ours must be.
  const ours = out
    .split('\n')
    .filter((l) => l.includes('@ferry/sdk') || l.startsWith('consumer.ts'));
  expect(ours).toEqual([]);
}, 120_000);

it('runs outside the repository: settings named, a plan with credentials refused before sending', async () => {
  await writeFile(join(scratch, 'consumer.mjs'), CONSUMER_MJS);
  const env = { PATH: process.env.PATH ?? '', HOME: scratch };
  const out = JSON.parse(
    execFileSync(process.execPath, [join(scratch, 'consumer.mjs')], {
      cwd: scratch,
      env,
      encoding: 'utf8',
    }),
  ) as Record<string, Record<string, unknown>>;
  expect(out.version).toBe('0.1.0');
  expect(out.missingUrl).toMatchObject({ code: 'missing_url', auth: true });
  expect(out.missingUrl!.message).toContain('FERRY_URL');
  expect(out.unreachable).not.toBeNull();
  expect(out.refused).toMatchObject({ code: 'credentials_in_plan', isPlanRefused: true });
  expect(out.refused!.message).toContain('aws_access_key_id');
  expect(String(out.refused!.message)).not.toContain('AKIAEXAMPLE');
}, 120_000);
