/**
 * The worker's ingestion calls to its control plane, with the node token: claim (renews
 * the lease, brings credentials and checkpoints), a shard's steps, the outcome. A step is
 * retried until the control plane answers (it may be restarting); a 409 means the claim
 * is lost, and the run stops at once.
 */
import {
  ingestionContracts,
  nodeIngestionsAnswerSchema,
  type IngestionShardStep,
  type NodeIngestionsAnswer,
} from '@ferry/api';
import { NODE_TOKEN_HEADER } from '../control-plane-client.ts';

export interface IngestLinkOptions {
  readonly baseUrl: string;
  readonly nodeToken: () => string | undefined;
  readonly log: (message: string) => void;
}

/** The control plane refused a step: another node holds the ingestion, or it ended. */
export class ClaimLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimLostError';
  }
}

async function call(
  options: IngestLinkOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const token = options.nodeToken();
  if (token === undefined) throw new Error('not registered');
  const res = await fetch(`${options.baseUrl}${path}`, {
    method,
    headers: {
      [NODE_TOKEN_HEADER]: token,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  if (res.status === 409 || res.status === 404) throw new ClaimLostError(text.slice(0, 300));
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

const stepPath = (id: string) =>
  ingestionContracts['nodes.ingestions.shard'].path.replace(':ingestionId', encodeURIComponent(id));
const outcomePath = (id: string) =>
  ingestionContracts['nodes.ingestions.outcome'].path.replace(
    ':ingestionId',
    encodeURIComponent(id),
  );

/** Retries a call until it succeeds, the claim is lost, or `signal` aborts. */
export async function persist<T>(
  options: IngestLinkOptions,
  what: string,
  signal: AbortSignal,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ClaimLostError || signal.aborted) throw e;
      if (attempt === 0 || attempt % 20 === 0)
        options.log(`${what} failed (${e instanceof Error ? e.message : String(e)}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
    }
  }
}

export function createIngestLink(options: IngestLinkOptions) {
  return {
    options,
    async claim(): Promise<NodeIngestionsAnswer> {
      return nodeIngestionsAnswerSchema.parse(
        await call(options, 'GET', ingestionContracts['nodes.ingestions.claim'].path),
      );
    },
    async step(ingestionId: string, step: IngestionShardStep): Promise<void> {
      await call(options, 'PUT', stepPath(ingestionId), step);
    },
    async outcome(
      ingestionId: string,
      state: 'Completed' | 'Failed',
      reason: string | null,
    ): Promise<void> {
      await call(options, 'PUT', outcomePath(ingestionId), { state, reason });
    },
  };
}

export type IngestLink = ReturnType<typeof createIngestLink>;
