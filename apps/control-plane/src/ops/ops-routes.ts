/**
 * Operations endpoints: `/healthz` (the process answers), `/readyz` (the database answers
 * and the schema is current, and the process is not draining), `/metrics` (Prometheus).
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import {
  AWS_CREDENTIALS_SETTINGS,
  type AwsCredentialsState,
} from '../aws/aws-credentials-check.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { migrations } from '../migrations/index.ts';
import type { Resources } from '../resources.ts';
import type { Lifecycle } from './lifecycle.ts';

/** Readiness verdict with the failing checks named. */
export interface Readiness {
  ready: boolean;
  checks: {
    database: 'ok' | 'fail';
    migrations: 'ok' | 'pending' | 'unknown';
    draining: boolean;
    /**
     * Whether the platform has AWS credentials. Informational: a server without them is
     * still ready for everything else, so this never makes it not-ready.
     */
    aws: AwsCredentialsState;
    /** When `aws` is 'missing': the settings to set. */
    awsSettings?: string;
  };
}

/** Runs the readiness checks. */
export async function checkReadiness(
  resources: Resources,
  lifecycle: Lifecycle,
): Promise<Readiness> {
  let database: Readiness['checks']['database'] = 'ok';
  let migrationState: Readiness['checks']['migrations'] = 'unknown';
  try {
    await sql`select 1`.execute(resources.db);
    migrationState = (await pendingMigrations(resources.db, migrations)).length ? 'pending' : 'ok';
  } catch (err) {
    database = 'fail';
    resources.log.warn({ err }, 'readiness: database check failed');
  }
  const ready = database === 'ok' && migrationState === 'ok' && !lifecycle.draining;
  const aws = resources.aws.credentialsCheck.state;
  return {
    ready,
    checks: {
      database,
      migrations: migrationState,
      draining: lifecycle.draining,
      aws,
      ...(aws === 'missing' ? { awsSettings: AWS_CREDENTIALS_SETTINGS } : {}),
    },
  };
}

/** Registers the ops routes (outside /api/v1, unauthenticated, not rate limited). */
export function registerOpsRoutes(
  app: FastifyInstance,
  resources: Resources,
  lifecycle: Lifecycle,
): void {
  app.get('/healthz', { logLevel: 'warn' }, (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const r = await checkReadiness(resources, lifecycle);
    return reply
      .code(r.ready ? 200 : 503)
      .send({ status: r.ready ? 'ready' : 'not_ready', ...r.checks });
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(resources.metrics.render()),
  );
}
