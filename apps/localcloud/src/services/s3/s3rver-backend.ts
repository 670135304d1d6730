/**
 * s3rver, the object store behind the S3 gateway: started on a free loopback port with its
 * files in a directory (under the state dir, or a temporary one removed at stop). It only
 * ever sees requests the gateway has authorized, unsigned and path-style.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListedObject } from './object-listing.ts';
import { keyFromStored, storedDirectoryPrefix } from './object-key-path.ts';

export interface BackendRequest {
  method: string;
  /** Path-style, already percent-encoded: `/bucket/key`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
}

export interface BackendResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface S3rverBackend {
  /** Starts s3rver; resolves once it listens. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `http://127.0.0.1:PORT`, once started. */
  readonly origin: string;
  /** Where s3rver keeps its files (`BUCKET/…`). */
  readonly directory: string;
  send(request: BackendRequest): Promise<BackendResponse>;
  /** Creates these buckets in s3rver when missing. */
  ensureBuckets(names: string[]): Promise<void>;
  /**
   * Every object of `bucket` under `prefix` with its S3 key (see `object-key-path.ts`),
   * unordered (s3rver's own paging is unusable).
   */
  listObjects(bucket: string, prefix: string): Promise<ListedObject[]>;
  /** Drops a multipart upload's stored parts (s3rver has no AbortMultipartUpload). */
  discardUpload(bucket: string, uploadId: string): Promise<void>;
}

interface StoredObject {
  key: string;
  size: number;
  lastModifiedDate: Date;
  metadata: Record<string, string>;
}

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  store: {
    listObjects(bucket: string, options: { prefix?: string }): Promise<{ objects: StoredObject[] }>;
  };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverServer;

const require = createRequire(import.meta.url);

export interface S3rverBackendOptions {
  /** Persistent directory for objects; a temporary one (removed at stop) when absent. */
  directory?: string;
}

export function createS3rverBackend(options: S3rverBackendOptions = {}): S3rverBackend {
  let server: S3rverServer | undefined;
  let origin = '';
  let directory = options.directory ?? '';
  let temporary = false;
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });

  return {
    get origin() {
      return origin;
    },
    get directory() {
      return directory;
    },
    async start() {
      if (server) return;
      if (options.directory) {
        await mkdir(options.directory, { recursive: true });
      } else {
        directory = await mkdtemp(join(tmpdir(), 'localcloud-s3-'));
        temporary = true;
      }
      const S3rver = require('s3rver') as S3rverConstructor;
      const instance = new S3rver({
        address: '127.0.0.1',
        port: 0,
        silent: true,
        directory,
        vhostBuckets: false,
        configureBuckets: [],
      });
      const address = await instance.run();
      server = instance;
      origin = `http://127.0.0.1:${address.port}`;
    },
    async stop() {
      const instance = server;
      server = undefined;
      agent.destroy();
      if (instance) await instance.close();
      if (temporary) {
        await rm(directory, { recursive: true, force: true });
        temporary = false;
      }
    },
    async ensureBuckets(names) {
      for (const name of names) {
        if (!existsSync(join(directory, name)))
          await mkdir(join(directory, name), { recursive: true });
      }
    },
    async listObjects(bucket, prefix) {
      if (!server) throw new Error('s3rver is not running');
      const { objects } = await server.store.listObjects(bucket, {
        prefix: storedDirectoryPrefix(prefix),
      });
      return objects
        .map((o) => ({
          key: keyFromStored(o.key),
          size: o.size,
          etag: o.metadata['etag'] ?? '""',
          lastModified: o.lastModifiedDate,
        }))
        .filter((o) => o.key.startsWith(prefix));
    },
    async discardUpload(bucket, uploadId) {
      if (!/^[0-9a-f]+$/.test(uploadId)) return;
      // s3rver's FilesystemStore keeps parts in BUCKET/._S3rver_uploads/UPLOAD_ID.
      await rm(join(directory, bucket, '._S3rver_uploads', uploadId), {
        recursive: true,
        force: true,
      });
    },
    send(request) {
      if (!server) return Promise.reject(new Error('s3rver is not running'));
      const query = request.query.toString();
      const url = new URL(`${origin}${request.path}${query ? `?${query}` : ''}`);
      return new Promise<BackendResponse>((resolve, reject) => {
        const outgoing = httpRequest(
          url,
          {
            method: request.method,
            agent,
            headers: { ...request.headers, 'content-length': String(request.body.length) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(response.headers)) {
                if (value === undefined) continue;
                headers[name] = Array.isArray(value) ? value.join(', ') : value;
              }
              resolve({ status: response.statusCode ?? 500, headers, body: Buffer.concat(chunks) });
            });
          },
        );
        outgoing.on('error', reject);
        outgoing.end(request.body);
      });
    },
  };
}
