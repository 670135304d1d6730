/** Routes of compute clusters, manifests, logs, metrics and usage. */
import type { CallOutput } from '@ferry/api';
import { WORKSPACE_SCOPE } from '../authz/route-scope.ts';
import { ANY_CALLER, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import type { Principal } from '../identity/principal.ts';
import {
  getCluster,
  listClusterEvents,
  listClusters,
  waitForCluster,
} from '../compute/cluster-queries.ts';
import { deleteManifest, getManifest, listManifests, putManifest } from '../compute/manifests.ts';
import { previewSelection, startCluster, type StartActor } from '../compute/start-cluster.ts';
import { stopCluster } from '../compute/stop-cluster.ts';
import { clusterLogs, clusterMetrics } from '../compute/telemetry.ts';
import { usageReport } from '../compute/usage-report.ts';
import { UnauthenticatedError } from '@ferry/core';

/** Who acts in the customer's account: the calling user or service account. */
function actorOf(principal: Principal | undefined): StartActor {
  if (principal === undefined) throw new UnauthenticatedError();
  return principal.kind === 'user'
    ? { kind: 'user', id: principal.userId }
    : { kind: 'service-account', id: principal.serviceAccountId };
}

export const computeRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'compute.start',
    permission: 'compute:start',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, principal, params, body, now, audit }) {
      const started = await startCluster(resources, {
        workspaceId: params.workspaceId,
        body,
        actor: actorOf(principal),
        now,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'cluster',
        targetId: started.id,
        details: {
          manifest: started.manifest,
          instanceType: started.instanceType,
          reused: started.reused,
        },
      });
      return started;
    },
  }),
  defineRoute({
    name: 'compute.select',
    permission: 'compute:start',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, principal, params, body }) {
      const selection = await previewSelection(resources, {
        workspaceId: params.workspaceId,
        body,
        actor: actorOf(principal),
      });
      // The same JSON a cluster stores; the contract's arrays are plain, not readonly.
      return JSON.parse(JSON.stringify(selection)) as CallOutput<'compute.select'>;
    },
  }),
  defineRoute({
    name: 'compute.list',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return listClusters(resources, params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'compute.get',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params }) {
      return getCluster(resources, params.workspaceId, params.clusterId);
    },
  }),
  defineRoute({
    name: 'compute.wait',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return waitForCluster(resources, params.workspaceId, params.clusterId, query);
    },
  }),
  defineRoute({
    name: 'compute.stop',
    permission: 'compute:start',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, params, audit }) {
      Object.assign(audit, { targetType: 'cluster', targetId: params.clusterId });
      return stopCluster(resources, params.workspaceId, params.clusterId);
    },
  }),
  defineRoute({
    name: 'compute.events',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params }) {
      return listClusterEvents(resources, params.workspaceId, params.clusterId);
    },
  }),
  defineRoute({
    name: 'compute.logs',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return clusterLogs(resources, params.workspaceId, params.clusterId, query);
    },
  }),
  defineRoute({
    name: 'compute.metrics',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return clusterMetrics(resources, params.workspaceId, params.clusterId, query);
    },
  }),
  defineRoute({
    name: 'compute.usage',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return usageReport(resources, params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'manifests.put',
    permission: 'compute:start',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, params, body, now, audit }) {
      Object.assign(audit, { targetType: 'manifest', targetId: params.name });
      return putManifest(resources, {
        workspaceId: params.workspaceId,
        name: params.name,
        spec: body,
        now,
      });
    },
  }),
  defineRoute({
    name: 'manifests.list',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return listManifests(resources, params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'manifests.get',
    permission: 'compute:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params }) {
      return getManifest(resources, params.workspaceId, params.name);
    },
  }),
  defineRoute({
    name: 'manifests.delete',
    permission: 'compute:start',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, params, audit }) {
      Object.assign(audit, { targetType: 'manifest', targetId: params.name });
      await deleteManifest(resources, params.workspaceId, params.name);
      return undefined;
    },
  }),
];
