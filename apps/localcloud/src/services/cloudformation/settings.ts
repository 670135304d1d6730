/**
 * Engine settings: the pause before each resource operation (realistic pacing of events)
 * and how long a custom resource may take to answer. Given to `start()` (the `localcloud`
 * command reads them from the environment) and changeable at run time through
 * `POST /_localcloud/cloudformation/settings`.
 */
import type { Cloud, Route } from '../../core/contract.ts';

export interface CfnSettings {
  /** Pause before each resource create/update/delete, in ms (default 100). */
  resourceDelayMs: number;
  /** How long a custom resource may take to respond, in seconds (default 3600, as AWS). */
  customResourceTimeoutSeconds: number;
}

/** AWS's own values, but a short pause so stacks still show their progress. */
export const DEFAULT_CFN_SETTINGS: CfnSettings = {
  resourceDelayMs: 100,
  customResourceTimeoutSeconds: 3600,
};

/** This cloud's settings (the service's options at start, then what the route changed). */
export function cfnSettings(cloud: Cloud): CfnSettings {
  return cloud.runtime('cloudformation/settings', () => ({ ...DEFAULT_CFN_SETTINGS }));
}

function json(
  status: number,
  body: unknown,
): { status: number; headers: Record<string, string>; body: string } {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const settingsRoutes: Route[] = [
  {
    method: 'GET',
    pathPrefix: '/_localcloud/cloudformation/settings',
    handle: (_request, cloud) => Promise.resolve(json(200, cfnSettings(cloud))),
  },
  {
    method: 'POST',
    pathPrefix: '/_localcloud/cloudformation/settings',
    handle(request, cloud) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return Promise.resolve(json(400, { error: 'the body must be JSON' }));
      }
      const settings = cfnSettings(cloud);
      for (const key of ['resourceDelayMs', 'customResourceTimeoutSeconds'] as const) {
        if (body[key] === undefined) continue;
        const n = Number(body[key]);
        if (!Number.isFinite(n) || n < 0)
          return Promise.resolve(json(400, { error: `${key} must be a number ≥ 0` }));
        settings[key] = n;
      }
      return Promise.resolve(json(200, settings));
    },
  },
];
