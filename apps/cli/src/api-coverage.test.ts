/**
 * The CLI does everything the API does: every route of the contract is called by a command
 * (directly, or through the SDK that `ferry query` uses), or is listed below with why no
 * command calls it. A new route without a command fails here until it gets one or a reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contracts, type RouteName } from '@ferry/api';
import { describe, expect, it } from 'vitest';

/** Routes no command calls, and why. */
const NOT_IN_CLI: Partial<Record<RouteName, string>> = {
  'auth.session': "the dashboard's check of its session cookie",
  'auth.signup': 'accepting an invitation happens in the browser, from its link',
  'invitations.accept': 'accepting an invitation happens in the browser, from its link',
  'auth.signInLink': "the demo's one-time sign-in link, opened in the browser",
  'auth.deviceRequest': 'the dashboard shows a device code to approve (ferry login --browser)',
  'auth.deviceDecide': 'the dashboard approves a device code (ferry login --browser)',
  'awsSetup.link': "the ops team's setup page, opened from its link without signing in",
  'auth.setup': 'the first admin is created on the page behind the link ferry server prints',
  'users.create':
    'not yet in the CLI nor the dashboard: people join through invitations (ferry org invite)',
  'compute.select': "the dashboard's start form; ferry compute start prints the same selection",
  'nodes.register': "the worker's",
  'nodes.heartbeat': "the worker's",
  'nodes.work': "the worker's",
  'nodes.queries.report': "the worker's",
  'nodes.queries.head': "the worker's",
  'nodes.queries.connections': "the worker's",
  'nodes.ingestions.claim': "the worker's",
  'nodes.ingestions.shard': "the worker's",
  'nodes.ingestions.outcome': "the worker's",
};

const here = fileURLToPath(new URL('.', import.meta.url));
const sdkSources = fileURLToPath(new URL('../../../packages/sdk/src', import.meta.url));

/** The non-test TypeScript sources under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('testing'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** Route names passed to a typed client's `call`. */
function calledRoutes(texts: string[]): Set<string> {
  const called = new Set<string>();
  for (const text of texts)
    for (const m of text.matchAll(/\bcall\(\s*'([A-Za-z.]+)'/g)) called.add(m[1]!);
  return called;
}

describe('the CLI covers the API', () => {
  const cli = calledRoutes(sources(here));
  const sdk = calledRoutes(sources(sdkSources));

  it('every route is called by a command, or says why not', () => {
    const missing = (Object.keys(contracts) as RouteName[]).filter(
      (r) => !cli.has(r) && !sdk.has(r) && NOT_IN_CLI[r] === undefined,
    );
    expect(missing, 'routes without a ferry command').toEqual([]);
  });

  it('lists no route as missing that a command calls, nor one that does not exist', () => {
    for (const r of Object.keys(NOT_IN_CLI)) {
      expect(Object.keys(contracts), r).toContain(r);
      expect(cli.has(r), `${r} is called by the CLI: drop it from the list`).toBe(false);
    }
  });
});
