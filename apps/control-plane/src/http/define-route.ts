/**
 * A route of the API: its contract (from `@ferry/api`), the permission it needs and the
 * scope it resolves, which callers it accepts, and its handler. The server validates every
 * input against the contract's schemas before authorization and before the handler runs.
 */
import type { CallOutput, Contracts, RouteName } from '@ferry/api';
import type { Permission } from '@ferry/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Access } from '../authz/authorize.ts';
import type { CallerKind, RouteScope } from '../authz/route-scope.ts';
import type { Principal } from '../identity/principal.ts';
import type { Resources } from '../resources.ts';
import type { RunInTransaction } from './request-transaction.ts';

type Part<C, K extends string> = C extends { [P in K]: infer S extends z.ZodType }
  ? z.output<S>
  : undefined;

/** What a handler may add to the audit record of its action. */
export interface AuditNote {
  targetType?: string;
  targetId?: string;
  orgId?: string;
  workspaceId?: string;
  /** For public routes that identify someone (login, setup, token exchange). */
  actorType?: 'user' | 'service-account';
  actorId?: string;
  details?: Record<string, unknown>;
}

/** Everything a handler gets. */
export interface RouteContext<N extends RouteName> {
  /**
   * Runs database work in the request's transaction, which commits once the handler
   * returned (and rolls back if it throws). Idempotent routes do their writes through it:
   * with an Idempotency-Key, the key's completion commits in that same transaction.
   */
  readonly transaction: RunInTransaction;
  readonly resources: Resources;
  /** The caller; undefined only on public routes. */
  readonly principal: Principal | undefined;
  /** Set when the caller came with the session cookie. */
  readonly sessionToken: string | undefined;
  readonly params: Part<Contracts[N], 'params'>;
  readonly query: Part<Contracts[N], 'query'>;
  readonly body: Part<Contracts[N], 'body'>;
  readonly access: Access;
  readonly requestId: string;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly audit: AuditNote;
  readonly now: Date;
}

/** The parts of a route definition that do not depend on who may call it. */
interface RouteBase<N extends RouteName> {
  readonly name: N;
  readonly scope: RouteScope;
  /** Audit action of a mutating route (defaults to the route name). */
  readonly action?: string;
  /** False for high-frequency machine calls (node heartbeats) the audit log should not hold. */
  readonly audited?: boolean;
  /**
   * Public routes only: the rate-limit bucket of a caller the handler authenticates itself
   * (e.g. a worker node), taken after its address's (larger) bucket.
   */
  readonly rateLimitKey?: (request: FastifyRequest) => string | undefined;
  handle(ctx: RouteContext<N>): Promise<CallOutput<N>>;
}

/**
 * Who may call a route and what a caller needs. A route that accepts tokens must name the
 * permission a scoped token needs (or say that it only describes the caller's own
 * credential): `permission: null` type-checks only on public and session-only routes, so
 * a new route cannot leave scoped tokens unchecked.
 */
export type RouteAccess =
  | { readonly callers: typeof PUBLIC; readonly permission: null }
  | { readonly callers: typeof SESSIONS; readonly permission: Permission | null }
  | {
      readonly callers: readonly CallerKind[];
      /** Required on the scope, and in a scoped token's scopes. */
      readonly permission: Permission | typeof OWN_CREDENTIAL;
    };

/** A route definition. */
export type RouteDefinition<N extends RouteName = RouteName> = RouteBase<N> & RouteAccess;

/** Any route definition, as the registry holds them. */
export type AnyRouteDefinition = {
  [N in RouteName]: RouteDefinition<N>;
}[RouteName];

/** Identity helper that types the handler from the contract. */
export function defineRoute<N extends RouteName>(
  definition: RouteDefinition<N>,
): RouteDefinition<N> {
  return definition;
}

/** Every caller kind: sessions, personal tokens, service accounts. */
export const ANY_CALLER = ['session', 'personal-token', 'service-account'] as const;
/** Users only, through a session or a personal token. */
export const USERS = ['session', 'personal-token'] as const;
/** Dashboard sessions only (minting credentials must not be possible with a token). */
export const SESSIONS = ['session'] as const;
/** Public: no credentials. */
export const PUBLIC = [] as const;

/**
 * The permission of a route that only describes the caller's own credential (who am I):
 * any credential may call it whatever its scopes, like AWS's `sts:GetCallerIdentity`.
 */
export const OWN_CREDENTIAL = 'own-credential';

/** The permission a route checks: null for none beyond accepting the caller. */
export function requiredPermission(definition: RouteAccess): Permission | null {
  return definition.permission === OWN_CREDENTIAL ? null : definition.permission;
}

/** True when the route accepts callers of this kind. */
export function acceptsCaller(definition: RouteAccess, kind: CallerKind): boolean {
  return (definition.callers as readonly CallerKind[]).includes(kind);
}
