/**
 * Builds the OpenAPI 3.1 document of the API from the same zod schemas the server validates
 * with (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
import { z } from 'zod';
import { errorResponseSchema } from './common.ts';
import type { RouteContract } from './contract.ts';

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  const { $schema: _ignored, ...rest } = json as Json;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (schema === undefined) return [];
  const json = schemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

/** `/api/v1/orgs/:orgId` → `/api/v1/orgs/{orgId}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}');
}

/** The OpenAPI 3.1 document for the given contracts. */
export function buildOpenApiDocument(
  contracts: Readonly<Record<string, RouteContract>>,
  info: { title?: string; version?: string } = {},
): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const error = {
    content: { 'application/json': { schema: schemaOf(errorResponseSchema, 'output') } },
  };
  for (const [name, c] of Object.entries(contracts)) {
    const parameters = [...parametersOf(c.params, 'path'), ...parametersOf(c.query, 'query')];
    if (c.idempotent === true) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Same key and body replay the first response; a different body is a 409.',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    }
    const operation: Json = {
      operationId: name,
      summary: c.summary,
      tags: [c.tag],
      parameters,
      responses: {
        [String(c.status)]:
          c.response === undefined
            ? { description: 'No content' }
            : {
                description: 'Success',
                content: { 'application/json': { schema: schemaOf(c.response, 'output') } },
              },
        default: { description: 'Error', ...error },
      },
    };
    if (c.body !== undefined) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(c.body, 'input') } },
      };
    }
    if (c.public === true) operation.security = [];
    const p = toOpenApiPath(c.path);
    paths[p] = { ...paths[p], [c.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title ?? 'ferry API', version: info.version ?? '1' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'Personal or service-account access token',
        },
        session: { type: 'apiKey', in: 'cookie', name: 'ferry_session' },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
