/**
 * The `s3` service: core authenticates each request, then hands it raw to the gateway, which
 * authorizes and forwards to s3rver (started and stopped with localcloud). Other services
 * (CloudFormation) reach bucket operations in-process through `handlers`. Lifecycle rules are
 * applied by a periodic sweep; `POST /_localcloud/s3/lifecycle` runs one as of a given time,
 * the clock knob tests use to see results expire.
 */
import { join } from 'node:path';
import type { Cloud, RawResponse, ServiceDefinition } from '../../core/contract.ts';
import { createBucketRegistry, type BucketRegistry } from './bucket-registry.ts';
import { sweepBucket, type SweepResult } from './lifecycle-expiry.ts';
import { createS3Gateway } from './s3-gateway.ts';
import type { S3Gateway } from './s3-gateway.ts';
import { createS3Handlers } from './s3-handlers.ts';
import { createS3rverBackend } from './s3rver-backend.ts';
import type { S3rverBackend } from './s3rver-backend.ts';

export interface S3ServiceOptions {
  /** Where objects live (`<dir>/s3`); defaults to the cloud's state directory, else a temp dir. */
  stateDir?: string;
  /** How often lifecycle rules are applied (default 60 s; 0 = only on request). */
  lifecycleSweepMs?: number;
}

const json = (status: number, body: unknown): RawResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export function createS3Service(options: S3ServiceOptions = {}): ServiceDefinition {
  let backend: S3rverBackend | undefined;
  let gateway: S3Gateway | undefined;
  let registry: BucketRegistry | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<SweepResult[]> | undefined;

  const sweep = async (at: number): Promise<SweepResult[]> => {
    // One sweep at a time: two would delete the same objects twice.
    while (sweeping) await sweeping.catch(() => undefined);
    const run = (async () => {
      const out: SweepResult[] = [];
      if (!backend || !registry) return out;
      for (const bucket of registry.all()) out.push(await sweepBucket(bucket, backend, at));
      return out;
    })();
    sweeping = run;
    try {
      return await run;
    } finally {
      sweeping = undefined;
    }
  };

  const lifecycleRoute = {
    method: 'POST' as const,
    pathPrefix: '/_localcloud/s3/lifecycle',
    async handle(request: { body: Buffer }, cloud: Cloud): Promise<RawResponse> {
      let body: { at?: unknown; advanceDays?: unknown } = {};
      try {
        const text = request.body.toString('utf8').trim();
        body = text === '' ? {} : (JSON.parse(text) as typeof body);
      } catch {
        return json(400, {
          error: 'the body must be JSON: {"at": ISO time} or {"advanceDays": n}',
        });
      }
      let at = cloud.now();
      if (body.at !== undefined) {
        at = typeof body.at === 'string' ? Date.parse(body.at) : NaN;
        if (Number.isNaN(at)) return json(400, { error: 'at must be an ISO 8601 time' });
      } else if (body.advanceDays !== undefined) {
        if (typeof body.advanceDays !== 'number' || !(body.advanceDays >= 0)) {
          return json(400, { error: 'advanceDays must be a number ≥ 0' });
        }
        at += body.advanceDays * 24 * 3600_000;
      }
      const results = await sweep(at);
      cloud.markChanged();
      return json(200, {
        at: new Date(at).toISOString(),
        buckets: results.filter((r) => r.expired.length > 0 || r.abortedUploads.length > 0),
      });
    },
  };

  return {
    name: 's3',
    handlers: createS3Handlers(() => {
      if (!gateway) throw new Error('s3 is not started');
      return gateway;
    }),
    routes: [lifecycleRoute],
    async start(cloud) {
      const stateDir = options.stateDir ?? cloud.stateDir;
      backend = createS3rverBackend(
        stateDir === undefined ? {} : { directory: join(stateDir, 's3') },
      );
      await backend.start();
      registry = createBucketRegistry(cloud);
      // Buckets known from persisted state must exist in s3rver too (e.g. when objects were not
      // persisted): recreate them empty rather than answer NoSuchBucket for a listed bucket.
      await backend.ensureBuckets(registry.all().map((bucket) => bucket.name));
      gateway = createS3Gateway({ cloud, registry, backend });
      const every = options.lifecycleSweepMs ?? 60_000;
      if (every > 0) {
        timer = setInterval(() => {
          sweep(cloud.now())
            .then((results) => {
              if (results.some((r) => r.expired.length > 0 || r.abortedUploads.length > 0)) {
                cloud.markChanged();
              }
            })
            .catch((error: unknown) => {
              cloud.log.warn('s3 lifecycle sweep failed', { error: String(error) });
            });
        }, every);
        timer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeping?.catch(() => undefined);
      gateway = undefined;
      registry = undefined;
      await backend?.stop();
      backend = undefined;
    },
    forward(request, call) {
      if (!gateway) return Promise.reject(new Error('s3 is not started'));
      return gateway.handle(request, call);
    },
  };
}
