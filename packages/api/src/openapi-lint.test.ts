/**
 * The OpenAPI document passes an independent linter: Redocly's `recommended-strict` rules
 * (structure, $refs, operation ids, servers, licence, a 4xx answer per operation…), every
 * warning an error.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { contracts } from './contracts.ts';
import { buildOpenApiDocument } from './openapi.ts';

async function problemsOf(document: unknown): Promise<string[]> {
  const config = await createConfig({ extends: ['recommended-strict'] });
  const problems = await lintFromString({
    source: JSON.stringify(document),
    absoluteRef: 'openapi.json',
    config,
  });
  return problems.map(
    (p) => `${p.ruleId} (${p.severity}) at ${p.location[0]?.pointer ?? '?'}: ${p.message}`,
  );
}

describe('the OpenAPI document, linted by Redocly', () => {
  it('has no problem at all', async () => {
    const problems = await problemsOf(buildOpenApiDocument(contracts));
    expect(problems).toEqual([]);
  }, 60_000);

  it('would be refused without its error answers, servers and licence (the lint can fail)', async () => {
    const doc = buildOpenApiDocument(contracts) as {
      info: Record<string, unknown>;
      servers?: unknown;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    delete doc.info.license;
    delete doc.servers;
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops))
        for (const status of Object.keys(op.responses))
          if (status.startsWith('4')) delete op.responses[status];
    const rules = new Set((await problemsOf(doc)).map((p) => p.split(' ')[0]));
    expect(rules).toContain('info-license');
    expect(rules).toContain('no-empty-servers');
    expect(rules).toContain('operation-4xx-response');
  }, 60_000);
});
