import { describe, expect, it } from 'vitest';
import type { RouteContract } from './contract.ts';
import { contracts } from './contracts.ts';
import { buildOpenApiDocument, errorStatusesOf, toOpenApiPath } from './openapi.ts';

describe('buildOpenApiDocument', () => {
  const doc = buildOpenApiDocument(contracts);
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;

  it('is OpenAPI 3.1 and documents every contract with its schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const [name, c] of Object.entries(contracts)) {
      const op = paths[toOpenApiPath(c.path)]?.[c.method.toLowerCase()];
      expect(op, name).toBeDefined();
      expect(op?.operationId).toBe(name);
      if ('body' in c) expect(op?.requestBody, name).toBeDefined();
      const responses = op?.responses as Record<string, unknown>;
      expect(responses[String(c.status)], name).toBeDefined();
    }
  });

  it('marks strict request bodies as closed and path ids with their pattern', () => {
    const op = paths['/api/v1/orgs/{orgId}']?.patch;
    const body = (
      op?.requestBody as { content: Record<string, { schema: Record<string, unknown> }> }
    ).content['application/json']?.schema;
    expect(body?.additionalProperties).toBe(false);
    const params = op?.parameters as { name: string; schema: { pattern?: string } }[];
    expect(params.find((p) => p.name === 'orgId')?.schema.pattern).toMatch(/^\^org_/);
  });

  it('documents Idempotency-Key on creating POSTs', () => {
    const op = paths['/api/v1/orgs']?.post;
    const params = op?.parameters as { name: string; in: string }[];
    expect(params.some((p) => p.name === 'Idempotency-Key' && p.in === 'header')).toBe(true);
  });

  it('lists each operation’s error answers, from its shape and its handler', () => {
    const components = doc.components as {
      responses: Record<string, { headers?: Record<string, unknown>; content: unknown }>;
      schemas: Record<string, { properties: Record<string, { required?: string[] }> }>;
    };
    for (const [name, c] of Object.entries(contracts) as [string, RouteContract][]) {
      const op = paths[toOpenApiPath(c.path)]?.[c.method.toLowerCase()];
      const responses = op?.responses as Record<string, { $ref?: string }>;
      const listed = Object.keys(responses)
        .filter((s) => /^4\d\d$/.test(s))
        .map(Number);
      expect(listed, name).toEqual(errorStatusesOf(c));
      // Every route validates its input and is rate limited.
      expect(listed, name).toContain(400);
      expect(listed, name).toContain(429);
      expect(listed.includes(401), name).toBe(c.public !== true || (c.errors ?? []).includes(401));
      expect(listed.includes(404), name).toBe(
        c.params !== undefined || (c.errors ?? []).includes(404),
      );
      expect(listed.includes(415), name).toBe(c.body !== undefined);
      expect(responses.default?.$ref).toBe('#/components/responses/Error');
    }
    expect(components.responses.TooManyRequests?.headers).toHaveProperty('Retry-After');
    expect(components.schemas.Error?.properties.error?.required?.sort()).toEqual([
      'code',
      'message',
      'requestId',
    ]);
    // A route’s own answers: the login refuses bad credentials, the last admin stays.
    expect(errorStatusesOf(contracts['auth.login'])).toContain(401);
    expect(errorStatusesOf(contracts['orgs.members.update'])).toContain(409);
  });

  it('names its server and its licence', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '{origin}' })]);
    expect((doc.info as { license: unknown }).license).toEqual({
      name: 'Apache-2.0',
      identifier: 'Apache-2.0',
    });
  });
});
