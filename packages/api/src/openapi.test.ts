import { describe, expect, it } from 'vitest';
import { contracts } from './contracts.ts';
import { buildOpenApiDocument, toOpenApiPath } from './openapi.ts';

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
});
