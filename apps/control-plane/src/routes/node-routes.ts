/** Routes the worker agent calls: register with the bootstrap token, then heartbeat. */
import type { AnyRouteDefinition } from '../http/define-route.ts';

export const nodeRoutes: readonly AnyRouteDefinition[] = [];
