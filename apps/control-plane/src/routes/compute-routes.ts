/** Routes of compute clusters, manifests, logs, metrics and usage. */
import type { AnyRouteDefinition } from '../http/define-route.ts';

export const computeRoutes: readonly AnyRouteDefinition[] = [];
