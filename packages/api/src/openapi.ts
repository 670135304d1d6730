/**
 * Builds the OpenAPI 3.1 document of the API from the same zod schemas the server validates
 * with (JSON Schema 2020-12, which OpenAPI 3.1 uses as is), and each operation's error
 * answers from its contract: what the request pipeline can answer for a route of that shape,
 * plus what the handler declares.
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

/** Every error status an operation can answer, with the response that documents it. */
const ERROR_RESPONSES = {
  400: {
    name: 'BadRequest',
    description:
      'The request is invalid: `error.details` names each failing field as `<part>.<path>` (e.g. `body.name`, `query.limit`, `params.orgId`).',
  },
  401: { name: 'Unauthenticated', description: 'No valid credentials.' },
  403: {
    name: 'Forbidden',
    description:
      'The caller lacks the permission, uses a kind of credentials the route does not accept, or sent a session cookie without its CSRF token.',
  },
  404: {
    name: 'NotFound',
    description:
      'No such resource, or one the caller may not see: a foreign id answers exactly like a missing one.',
  },
  409: {
    name: 'Conflict',
    description:
      'The request conflicts with the current state, or its Idempotency-Key was used with another body.',
  },
  412: { name: 'PreconditionFailed', description: 'A precondition of the request does not hold.' },
  413: { name: 'PayloadTooLarge', description: 'The body exceeds the size limit.' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not `application/json`.' },
  429: {
    name: 'TooManyRequests',
    description: 'The caller’s rate limit is spent; retry after `Retry-After` seconds.',
  },
} as const;

/** A status of {@link ERROR_RESPONSES}. */
export type ErrorStatus = keyof typeof ERROR_RESPONSES;

/**
 * What an operation can answer besides success: 400 (every input part is validated, and a
 * part the route does not take must be empty) and 429 (every route is rate limited) always;
 * 401 and 403 unless public; 404 with path parameters; 409 with an Idempotency-Key; 413 and
 * 415 with a body; and what the handler declares.
 */
export function errorStatusesOf(c: RouteContract): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>([400, 429]);
  if (c.public !== true) {
    statuses.add(401);
    statuses.add(403);
  }
  if (c.params !== undefined) statuses.add(404);
  if (c.idempotent === true) statuses.add(409);
  if (c.body !== undefined) {
    statuses.add(413);
    statuses.add(415);
  }
  for (const s of c.errors ?? []) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
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
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  // Only the responses some operation answers (an unused component is a lint error).
  const responses: Record<string, Json> = {
    Error: {
      description: 'The server failed; `error.requestId` identifies it in the logs.',
      ...error,
    },
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
        ...Object.fromEntries(
          errorStatusesOf(c).map((s) => [
            String(s),
            { $ref: `#/components/responses/${ERROR_RESPONSES[s].name}` },
          ]),
        ),
        default: { $ref: '#/components/responses/Error' },
      },
    };
    if (c.body !== undefined) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(c.body, 'input') } },
      };
    }
    if (c.public === true) operation.security = [];
    for (const status of errorStatusesOf(c)) {
      const r = ERROR_RESPONSES[status];
      responses[r.name] = {
        description: r.description,
        ...(status === 429
          ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } }
          : {}),
        ...error,
      };
    }
    const p = toOpenApiPath(c.path);
    paths[p] = { ...paths[p], [c.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'ferry API',
      version: info.version ?? '1',
      description:
        'The API of a ferry control plane. Every error answers `{error: {code, message, details?, requestId}}`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    // Paths are absolute (`/api/v1/…`) on the server that serves this document.
    servers: [
      {
        url: '{origin}',
        description: 'The ferry control plane',
        variables: { origin: { default: 'http://127.0.0.1:8080', description: 'Its public URL' } },
      },
    ],
    components: {
      schemas: { Error: schemaOf(errorResponseSchema, 'output') },
      responses,
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer', minimum: 1 },
        },
      },
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
