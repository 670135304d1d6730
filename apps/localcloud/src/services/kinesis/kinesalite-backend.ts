/**
 * kinesalite, the stream store behind the Kinesis gateway: started on a free loopback port,
 * in memory or in a LevelDB directory under the state dir. Its stream state transitions
 * (CREATING → ACTIVE, …) take `transitionMs`, kept short by default.
 */
import { mkdir } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';

export interface KinesaliteOptions {
  /** LevelDB directory; in memory when absent. */
  directory?: string;
  /** Milliseconds kinesalite spends in CREATING, DELETING and UPDATING (default 50). */
  transitionMs?: number;
  /** Maximum open shards per account (default 100). */
  shardLimit?: number;
}

export interface KinesaliteBackend {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly origin: string;
  /** Sends one awsJson call; kinesalite wants some SigV4 header but never checks it. */
  call(target: string, body: Buffer): Promise<{ status: number; body: Buffer }>;
}

type KinesaliteFactory = (options: Record<string, unknown>) => Server;
const require = createRequire(import.meta.url);

/** kinesalite insists on a well-formed SigV4 header; the gateway has already authenticated. */
const PLACEHOLDER_AUTH =
  'AWS4-HMAC-SHA256 Credential=localcloud/20200101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';

export function createKinesaliteBackend(options: KinesaliteOptions = {}): KinesaliteBackend {
  let server: Server | undefined;
  let origin = '';
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  return {
    get origin() {
      return origin;
    },
    async start() {
      if (server) return;
      if (options.directory) await mkdir(options.directory, { recursive: true });
      const kinesalite = require('kinesalite') as KinesaliteFactory;
      const transition = options.transitionMs ?? 50;
      const instance = kinesalite({
        ...(options.directory ? { path: options.directory } : {}),
        createStreamMs: transition,
        deleteStreamMs: transition,
        updateStreamMs: transition,
        shardLimit: options.shardLimit ?? 100,
      });
      await new Promise<void>((resolve, reject) => {
        instance.once('error', reject);
        instance.listen(0, '127.0.0.1', () => {
          instance.off('error', reject);
          resolve();
        });
      });
      const address = instance.address();
      if (address === null || typeof address === 'string') throw new Error('kinesalite: no port');
      origin = `http://127.0.0.1:${address.port}`;
      server = instance;
    },
    async stop() {
      const instance = server;
      server = undefined;
      agent.destroy();
      if (!instance) return;
      instance.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        instance.close((error) => (error ? reject(error) : resolve())),
      );
    },
    call(target, body) {
      if (!server) return Promise.reject(new Error('kinesalite is not running'));
      return new Promise((resolve, reject) => {
        const outgoing = httpRequest(
          `${origin}/`,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/x-amz-json-1.1',
              'content-length': String(body.length),
              'x-amz-target': target,
              'x-amz-date': '20200101T000000Z',
              authorization: PLACEHOLDER_AUTH,
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 500, body: Buffer.concat(chunks) }),
            );
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    },
  };
}
