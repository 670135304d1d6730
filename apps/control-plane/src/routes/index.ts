/** Every API route definition; the server registers exactly these, one per contract. */
import type { AnyRouteDefinition } from '../http/define-route.ts';
import { auditRoutes } from './audit-routes.ts';
import { awsSetupRoutes } from './aws-setup-routes.ts';
import { authRoutes } from './auth-routes.ts';
import { computeRoutes } from './compute-routes.ts';
import { connectionRoutes } from './connection-routes.ts';
import { ingestionRoutes } from './ingestion-routes.ts';
import { deviceAuthRoutes } from './device-auth-routes.ts';
import { nodeRoutes } from './node-routes.ts';
import { orgRoutes } from './org-routes.ts';
import { queryRoutes } from './query-routes.ts';
import { userRoutes } from './user-routes.ts';
import { workspaceRoutes } from './workspace-routes.ts';

/** All route definitions. */
export const apiRoutes: readonly AnyRouteDefinition[] = [
  ...authRoutes,
  ...deviceAuthRoutes,
  ...userRoutes,
  ...orgRoutes,
  ...workspaceRoutes,
  ...auditRoutes,
  ...awsSetupRoutes,
  ...computeRoutes,
  ...connectionRoutes,
  ...ingestionRoutes,
  ...nodeRoutes,
  ...queryRoutes,
];
