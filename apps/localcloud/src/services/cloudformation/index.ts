/**
 * AWS CloudFormation: stacks provisioned by an engine that creates every resource as the
 * caller, with SNS-backed custom resources answered through presigned response URLs.
 */
import type { Cloud, ServiceDefinition } from '../../core/contract.ts';
import { consoleRoutes } from '../../console/console-routes.ts';
import { responseRoute } from './custom-resource-responses.ts';
import { settingsRoutes } from './settings.ts';
import { stopOperations } from './stack-engine.ts';
import { failInterruptedOperations, stackHandlers } from './stack-handlers.ts';

/** Creates the CloudFormation service. */
export function createCloudFormationService(): ServiceDefinition {
  const clouds = new Set<Cloud>();
  return {
    name: 'cloudformation',
    handlers: stackHandlers,
    routes: [responseRoute, ...settingsRoutes, ...consoleRoutes],
    start(cloud) {
      clouds.add(cloud);
      failInterruptedOperations(cloud);
      return Promise.resolve();
    },
    async stop() {
      const all = [...clouds];
      clouds.clear();
      await Promise.all(all.map((c) => stopOperations(c)));
    },
  };
}

/** The CloudFormation service localcloud registers. */
export const cloudFormationService: ServiceDefinition = createCloudFormationService();
