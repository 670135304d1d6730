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

/** A route definition. */
export interface RouteDefinition<N extends RouteName = RouteName> {
  readonly name: N;
  /** The permission required on the scope; null = any caller the route accepts. */
  readonly permission: Permission | null;
  readonly scope: RouteScope;
  /** Which callers the route accepts (empty for public routes). */
  readonly callers: readonly CallerKind[];
  /** Audit action of a mutating route (defaults to the route name). */
  readonly action?: string;
  /** False for high-frequency machine calls (node heartbeats) the audit log should not hold. */
  readonly audited?: boolean;
  /**
   * Public routes only: the rate-limit bucket of a caller the handler authenticates itself
   * (e.g. a worker node), instead of its address. Undefined falls back to the address.
   */
  readonly rateLimitKey?: (request: FastifyRequest) => string | undefined;
  handle(ctx: RouteContext<N>): Promise<CallOutput<N>>;
}

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
export const ANY_CALLER: readonly CallerKind[] = ['session', 'personal-token', 'service-account'];
/** Users only, through a session or a personal token. */
export const USERS: readonly CallerKind[] = ['session', 'personal-token'];
/** Dashboard sessions only (minting credentials must not be possible with a token). */
export const SESSIONS: readonly CallerKind[] = ['session'];
/** Public: no credentials. */
export const PUBLIC: readonly CallerKind[] = [];
