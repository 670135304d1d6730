/**
 * Registers route definitions on Fastify with one pipeline for all of them:
 * authenticate (401) → CSRF for cookie mutations (403) → rate limit (429) → validate
 * params, query and body against the contract (400 naming the field) → caller kind →
 * resolve the scope (404 for anything invisible) → check the permission (403) →
 * Idempotency-Key → handler → check the response against the contract → audit.
 */
import { contracts, type RouteContract } from '@ferry/api';
import {
  FerryError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '@ferry/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { accessFrom, checkPermission, resolveAccess, type Access } from '../authz/authorize.ts';
import { scopeColumns, scopeFactsFrom, scopeTargetOf } from '../authz/scope-lookup.ts';
import type { CallerKind } from '../authz/route-scope.ts';
import { actorOf, recordAudit } from '../audit/record-audit.ts';
import { authenticate } from '../identity/authenticate.ts';
import { principalKey, type Principal } from '../identity/principal.ts';
import { CSRF_HEADER, verifyCsrfToken } from '../identity/sessions.ts';
import type { Resources } from '../resources.ts';
import {
  acceptsCaller,
  requiredPermission,
  type AnyRouteDefinition,
  type AuditNote,
  type RouteContext,
} from './define-route.ts';
import { toFerryError, validationErrorFrom } from './error-response.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  parseIdempotencyKey,
  releaseIdempotencyKey,
  requestFingerprint,
} from './idempotency.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createRequestTransaction, resourcesOfRequest } from './request-transaction.ts';

const NO_ACCESS: Access = {
  orgId: null,
  workspaceId: null,
  workspaceState: null,
  orgRole: null,
  workspaceRole: null,
};

function callerKind(p: Principal): CallerKind {
  return p.kind === 'service-account' ? 'service-account' : p.via;
}

function parsePart(
  part: 'params' | 'query' | 'body',
  schema: RouteContract['params'],
  value: unknown,
): unknown {
  if (schema === undefined) {
    const empty =
      value === undefined ||
      value === null ||
      (typeof value === 'object' && Object.keys(value).length === 0);
    if (!empty) {
      throw new ValidationError(`This route takes no ${part}.`, {
        details: [{ path: part, message: 'must be empty' }],
      });
    }
    return undefined;
  }
  const result = schema.safeParse(part === 'body' ? value : (value ?? {}));
  if (!result.success) throw validationErrorFrom(part, result.error);
  return result.data;
}

/** Options of {@link registerRoutes}. */
export interface RegisterRoutesOptions {
  /** Per principal, and per address for anonymous callers. */
  readonly rateLimiter: RateLimiter;
  /** Per address, for routes whose callers authenticate in the handler (worker nodes). */
  readonly nodeAddressLimiter: RateLimiter;
}

/** Registers every definition; a contract without a definition (or vice versa) is a startup error. */
export function registerRoutes(
  app: FastifyInstance,
  resources: Resources,
  definitions: readonly AnyRouteDefinition[],
  options: RegisterRoutesOptions,
): void {
  const names = new Set(definitions.map((d) => d.name));
  const missing = Object.keys(contracts).filter((n) => !names.has(n as AnyRouteDefinition['name']));
  if (missing.length > 0 || names.size !== definitions.length) {
    throw new Error(`API routes and contracts disagree: missing ${missing.join(', ') || 'none'}`);
  }
  // The types already forbid it; a cast must not let a route skip token scopes either.
  const unstated = definitions.filter(
    (d) =>
      d.permission === null &&
      (acceptsCaller(d, 'personal-token') || acceptsCaller(d, 'service-account')),
  );
  if (unstated.length > 0) {
    throw new Error(
      `Routes that accept tokens must name the permission a scoped token needs: ${unstated.map((d) => d.name).join(', ')}`,
    );
  }
  for (const definition of definitions) {
    const contract: RouteContract = contracts[definition.name];
    app.route({
      method: contract.method,
      url: contract.path,
      handler: (request, reply) => run(resources, options, definition, contract, request, reply),
    });
  }
}

async function run(
  resources: Resources,
  options: RegisterRoutesOptions,
  definition: AnyRouteDefinition,
  contract: RouteContract,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const now = resources.clock.now();
  const mutating = contract.method !== 'GET';
  // The route's organization or workspace is looked up with the credentials, in one query.
  const target = scopeTargetOf(definition.scope, request.params);
  const auth =
    definition.callers.length === 0
      ? undefined
      : await authenticate(
          resources.db,
          { authorization: request.headers.authorization, cookie: request.headers.cookie },
          now,
          target === undefined ? [] : scopeColumns(target),
        );
  if (definition.callers.length > 0 && auth === undefined) {
    // Guessing credentials costs the guesser's address its budget.
    options.rateLimiter.take(`ip:${request.ip}`, now);
    throw new UnauthenticatedError();
  }
  const principal = auth?.principal;
  if (auth?.sessionToken !== undefined && mutating) {
    const given = request.headers[CSRF_HEADER];
    if (!verifyCsrfToken(auth.sessionToken, typeof given === 'string' ? given : undefined)) {
      throw new FerryError({
        code: 'csrf_token_invalid',
        status: 403,
        fault: 'client',
        retryable: false,
        message: `Send the session's CSRF token in the ${CSRF_HEADER} header.`,
      });
    }
  }
  if (principal !== undefined) {
    options.rateLimiter.take(principalKey(principal), now);
  } else if (definition.rateLimitKey === undefined) {
    options.rateLimiter.take(`ip:${request.ip}`, now);
  } else {
    // The address first: a key the caller chooses (an instance id, a token) must not let
    // one address buy fresh budgets by varying it.
    options.nodeAddressLimiter.take(`ip:${request.ip}`, now);
    const key = definition.rateLimitKey(request);
    if (key !== undefined) options.rateLimiter.take(key, now);
  }

  const params = parsePart('params', contract.params, request.params);
  const query = parsePart('query', contract.query, request.query);
  const body = parsePart('body', contract.body, request.body);
  const idempotencyKey =
    contract.idempotent === true
      ? parseIdempotencyKey(request.headers['idempotency-key'])
      : undefined;

  const note: AuditNote = {};
  let access = NO_ACCESS;
  const audit = async (
    outcome: 'success' | 'denied' | 'failed',
    error?: FerryError,
  ): Promise<void> => {
    if (!mutating || definition.audited === false) return;
    const actor = actorOf(principal);
    await recordAudit(resources, {
      ...actor,
      actorId: note.actorId ?? actor.actorId ?? null,
      actorType: note.actorType ?? actor.actorType,
      orgId: note.orgId ?? access.orgId,
      workspaceId: note.workspaceId ?? access.workspaceId,
      action: definition.action ?? definition.name,
      targetType: note.targetType ?? null,
      targetId: note.targetId ?? null,
      outcome,
      requestId: request.id,
      details: { ...note.details, ...(error ? { error: error.code } : {}) },
    });
  };

  if (principal !== undefined) {
    const validated = (params ?? {}) as Record<string, unknown>;
    const looked = auth && target && scopeTargetOf(definition.scope, validated);
    access =
      looked && looked.id === target.id
        ? accessFrom(principal, scopeFactsFrom(target, auth.extra))
        : await resolveAccess(resources.db, principal, definition.scope, validated);
    try {
      if (!acceptsCaller(definition, callerKind(principal))) {
        throw new ForbiddenError(
          principal.kind === 'service-account'
            ? 'Service accounts cannot use this route.'
            : 'Sign in to the dashboard to use this route; tokens cannot.',
        );
      }
      checkPermission(principal, access, definition.scope, requiredPermission(definition));
    } catch (err) {
      if (err instanceof ForbiddenError) await audit('denied', err);
      throw err;
    }
  }

  const pKey = principal ? principalKey(principal) : undefined;
  const fingerprint = requestFingerprint(contract.method, request.url.split('?')[0] ?? '', body);
  if (idempotencyKey !== undefined && pKey !== undefined) {
    const replay = await claimIdempotencyKey(resources.db, pKey, idempotencyKey, fingerprint, now);
    if (replay !== null) {
      return reply.header('idempotent-replayed', 'true').code(replay.status).send(replay.body);
    }
  }

  const claim =
    idempotencyKey !== undefined && pKey !== undefined ? { pKey, key: idempotencyKey } : undefined;
  const requestTrx = createRequestTransaction(resources.db);
  const ctx = {
    transaction: requestTrx.run,
    resources: resourcesOfRequest(resources, requestTrx),
    principal,
    sessionToken: auth?.sessionToken,
    params,
    query,
    body,
    access,
    requestId: request.id,
    request,
    reply,
    audit: note,
    now,
  } as RouteContext<typeof definition.name>;

  let result: unknown;
  try {
    result = await (definition.handle as (c: typeof ctx) => Promise<unknown>)(ctx);
    if (contract.response !== undefined) {
      const checked = contract.response.safeParse(result);
      if (!checked.success) {
        request.log.error(
          { route: definition.name, issues: checked.error.issues },
          'response breaks the contract',
        );
        throw new InternalError('The response does not match the API contract.');
      }
    }
    if (claim !== undefined) {
      const stored = { status: contract.status, body: result ?? null };
      const complete = (db: Kysely<Database>) =>
        completeIdempotencyKey(db, claim.pKey, claim.key, now, stored);
      // With the work when the handler did any; alone when it did none (e.g. a reused cluster).
      if (!(await requestTrx.finish(complete))) await complete(resources.db);
    } else {
      await requestTrx.finish(() => Promise.resolve());
    }
  } catch (err) {
    const ferr = toFerryError(err);
    await requestTrx.abort();
    if (claim !== undefined) await releaseIdempotencyKey(resources.db, claim.pKey, claim.key);
    if (!(ferr instanceof NotFoundError) && !(ferr instanceof ValidationError)) {
      await audit(ferr instanceof ForbiddenError ? 'denied' : 'failed', ferr);
    }
    throw err;
  }
  await audit('success');
  if (contract.status === 204) return reply.code(204).send();
  return reply.code(contract.status).send(result);
}
