/**
 * AWS CloudFormation: stacks provisioned by an engine that creates every resource as the
 * caller, with SNS-backed custom resources answered through presigned response URLs.
 */
import type { Cloud, ServiceDefinition } from '../../core/contract.ts';
import { consoleRoutes } from '../../console/console-routes.ts';
import { responseRoute } from './custom-resource-responses.ts';
import { cfnSettings, settingsRoutes } from './settings.ts';
import type { CfnSettings } from './settings.ts';
import { stopOperations } from './stack-engine.ts';
import { failInterruptedOperations, stackHandlers } from './stack-handlers.ts';

export type CloudFormationServiceOptions = Partial<CfnSettings>;

/** Creates the CloudFormation service. */
export function createCloudFormationService(
  options: CloudFormationServiceOptions = {},
): ServiceDefinition {
  const clouds = new Set<Cloud>();
  return {
    name: 'cloudformation',
    handlers: stackHandlers,
    routes: [responseRoute, ...settingsRoutes, ...consoleRoutes],
    start(cloud) {
      clouds.add(cloud);
      const settings = cfnSettings(cloud);
      if (options.resourceDelayMs !== undefined) settings.resourceDelayMs = options.resourceDelayMs;
      if (options.customResourceTimeoutSeconds !== undefined)
        settings.customResourceTimeoutSeconds = options.customResourceTimeoutSeconds;
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
