/**
 * Engine settings: the pause before each resource operation (realistic pacing of events)
 * and how long a custom resource may take to answer. Read from the environment at start
 * and changeable at run time through `POST /_localcloud/cloudformation/settings`.
 */
import type { Cloud, Route } from '../../core/contract.ts';

export interface CfnSettings {
  /** Pause before each resource create/update/delete, in ms (default 100). */
  resourceDelayMs: number;
  /** How long a custom resource may take to respond, in seconds (default 3600, as AWS). */
  customResourceTimeoutSeconds: number;
}

function fromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

const byCloud = new WeakMap<Cloud, CfnSettings>();

export function cfnSettings(cloud: Cloud): CfnSettings {
  let settings = byCloud.get(cloud);
  if (settings === undefined) {
    settings = {
      resourceDelayMs: fromEnv('LOCALCLOUD_CFN_RESOURCE_DELAY_MS', 100),
      customResourceTimeoutSeconds: fromEnv('LOCALCLOUD_CFN_CUSTOM_RESOURCE_TIMEOUT_SECONDS', 3600),
    };
    byCloud.set(cloud, settings);
  }
  return settings;
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
