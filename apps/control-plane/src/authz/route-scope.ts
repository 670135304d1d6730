/** What a route acts on, resolved from its path parameters before any handler runs. */

/** The scope a route resolves: nothing, the installation, an organization or a workspace. */
export type RouteScope =
  | { readonly kind: 'none' }
  | { readonly kind: 'instance' }
  | { readonly kind: 'org'; readonly param: 'orgId' }
  | { readonly kind: 'workspace'; readonly param: 'workspaceId' };

/** Kinds of caller a route accepts. */
export type CallerKind = 'session' | 'personal-token' | 'service-account';

export const NO_SCOPE: RouteScope = { kind: 'none' };
export const INSTANCE_SCOPE: RouteScope = { kind: 'instance' };
export const ORG_SCOPE: RouteScope = { kind: 'org', param: 'orgId' };
export const WORKSPACE_SCOPE: RouteScope = { kind: 'workspace', param: 'workspaceId' };
