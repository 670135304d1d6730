/**
 * The node's ingestions: every few seconds it claims its cluster's ingestions (renewing its
 * lease and its Kinesis credentials), starts a run for each new one and stops the runs the
 * control plane no longer gives it (stopped by a user, or claimed by another node after
 * this one missed its lease). A run that fails on an unreadable record fails the ingestion
 * (nothing after that record is landed); any other failure is retried by the next claim.
 * Landed files go to the results bucket with the Worker role's credentials, or into an S3
 * connection with its session from the claim. A running ingestion keeps the
 * node busy, so idleness never ends it.
 */
import type { NodeIngestion } from '@ferry/api';
import type { Activity } from '../activity.ts';
import type { RoleCredentials, S3Access } from '../query/cloud-options.ts';
import { createS3Client } from '../s3-client.ts';
import { ClaimLostError, createIngestLink, persist } from './ingest-link.ts';
import { runIngestion } from './ingest-runner.ts';
import { RecordParseError } from './record-rows.ts';

export interface IngestServiceOptions {
  readonly controlPlaneUrl: string;
  readonly nodeToken: () => string | undefined;
  readonly credentials: () => Promise<RoleCredentials>;
  readonly access: S3Access;
  readonly activity: Activity;
  readonly log: (message: string) => void;
  /** How often claims are renewed (default 5 s; the lease is longer). */
  readonly claimEveryMs?: number;
}

interface Run {
  current: NodeIngestion;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

export interface IngestService {
  stop(): Promise<void>;
}

export function startIngestService(options: IngestServiceOptions): IngestService {
  const { log } = options;
  const link = createIngestLink({
    baseUrl: options.controlPlaneUrl,
    nodeToken: options.nodeToken,
    log,
  });
  const runs = new Map<string, Run>();
  const stopping = new AbortController();
  let busy: (() => void) | undefined;
  // Landed files go to the results bucket with the Worker role's credentials.
  const workerS3 = createS3Client(options.access, options.credentials);

  const start = (ingestion: NodeIngestion) => {
    const abort = new AbortController();
    const run: Run = {
      current: ingestion,
      abort,
      done: Promise.resolve(),
    };
    log(`ingestion ${ingestion.id}: landing ${ingestion.streamArn} (${ingestion.mode})`);
    // Into an S3 connection: its session, narrowed to the ingestion's folder and renewed by
    // each claim.
    const destinationS3 =
      ingestion.destination === undefined
        ? undefined
        : createS3Client({ ...options.access, region: ingestion.destination.region }, () => {
            const c = run.current.destination?.credentials;
            if (c === undefined) return Promise.reject(new Error('the destination session ended'));
            return Promise.resolve({
              accessKeyId: c.accessKeyId,
              secretAccessKey: c.secretAccessKey,
              ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
              ...(c.expiration === undefined ? {} : { expiration: Date.parse(c.expiration) }),
            });
          });
    (run as { done: Promise<void> }).done = (async () => {
      try {
        const how = await runIngestion({
          link,
          current: () => run.current,
          s3: destinationS3 ?? workerS3,
          ...(options.access.endpoint === undefined ? {} : { endpoint: options.access.endpoint }),
          signal: abort.signal,
          log,
        });
        if (how === 'completed') {
          await persist(link.options, `ingestion ${ingestion.id}: completion`, abort.signal, () =>
            link.outcome(ingestion.id, 'Completed', null),
          );
          log(`ingestion ${ingestion.id}: completed`);
        }
      } catch (e) {
        if (e instanceof ClaimLostError || abort.signal.aborted) {
          log(`ingestion ${ingestion.id}: stopped here (${e instanceof Error ? e.message : ''})`);
        } else if (e instanceof RecordParseError) {
          log(`ingestion ${ingestion.id}: failed: ${e.message}`);
          await persist(link.options, `ingestion ${ingestion.id}: failure`, abort.signal, () =>
            link.outcome(ingestion.id, 'Failed', e.message),
          ).catch(() => undefined);
        } else {
          log(
            `ingestion ${ingestion.id}: run failed, retried at the next claim (${e instanceof Error ? e.message : String(e)})`,
          );
        }
      } finally {
        destinationS3?.destroy();
        runs.delete(ingestion.id);
        if (runs.size === 0) {
          busy?.();
          busy = undefined;
        }
      }
    })();
    runs.set(ingestion.id, run);
    busy ??= options.activity.queryStarted();
  };

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        const answer = await link.claim();
        failures = 0;
        const held = new Set(answer.ingestions.map((i) => i.id));
        for (const ingestion of answer.ingestions) {
          const run = runs.get(ingestion.id);
          if (run === undefined) start(ingestion);
          else run.current = ingestion;
        }
        for (const [id, run] of runs) if (!held.has(id)) run.abort.abort();
      } catch (e) {
        failures += 1;
        if (failures === 1 && options.nodeToken() !== undefined)
          log(`ingestion claim failed (${e instanceof Error ? e.message : String(e)}); retrying`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, options.claimEveryMs ?? 5000);
        stopping.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  })();

  return {
    async stop() {
      stopping.abort();
      for (const run of runs.values()) run.abort.abort();
      await loop;
      await Promise.allSettled([...runs.values()].map((r) => r.done));
      workerS3.destroy();
    },
  };
}
