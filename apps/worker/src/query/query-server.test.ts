import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { newId } from '@ferry/core';
import { signQueryToken, type QueryTokenClaims } from '@ferry/core/query-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorPool } from './executor-pool.ts';
import { createQueryEngine, type QueryEngine } from './query-engine.ts';
import { startQueryServer, type QueryServer } from './query-server.ts';
import { createTlsIdentity } from './self-signed-cert.ts';

const clusterId = newId('cluster');
const keys = generateKeyPairSync('ed25519');
const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const tls = createTlsIdentity({ commonName: 'ferry-worker', ips: ['127.0.0.1'] });
let engine: QueryEngine;
let server: QueryServer;

const nowS = () => Math.floor(Date.now() / 1000);
const token = (over: Partial<QueryTokenClaims> = {}, key = keys.privateKey) =>
  signQueryToken(key, {
    v: 1,
    sub: 'usr_test',
    cluster: clusterId,
    workspace: 'ws_test',
    perm: 'queries:run',
    iat: nowS(),
    exp: nowS() + 300,
    jti: randomUUID(),
    ...over,
  });

/** A request that trusts the worker by its certificate's fingerprint, as the SDK does. */
function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<{ status: number; json: unknown; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        rejectUnauthorized: false,
        agent: false,
        headers: {
          ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
          ...(body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(body)),
              }),
        },
      },
      (res) => {
        const raw = (res.socket as TLSSocket).getPeerCertificate().raw;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            json: text === '' ? undefined : (JSON.parse(text) as unknown),
            fingerprint: createHash('sha256').update(raw).digest('hex'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const pool = createExecutorPool({
    size: 1,
    env: () => ({ PATH: process.env.PATH ?? '' }),
    log: () => undefined,
  });
  engine = createQueryEngine({
    pool,
    ferryVersion: '0.1.0',
    polarsVersion: await pool.polarsVersion,
    credentials: () => Promise.resolve({ accessKeyId: 'AKIDX', secretAccessKey: 'x' }),
    access: { region: 'us-east-1' },
    // No results bucket: a query without a sink fails with no_results_bucket (no S3 here).
    resultsBucket: () => undefined,
    memoryBytes: 1024 ** 3,
    now: () => Date.now(),
  });
  server = await startQueryServer({
    engine,
    tls,
    clusterId,
    publicKey: () => publicPem,
    now: () => Date.now(),
    host: '127.0.0.1',
    port: 0,
    info: () => ({
      ferryVersion: '0.1.0',
      polarsVersion: '0.26.1',
      clusterId,
      nodeId: 'i-0123456789abcdef0',
      vcpus: 2,
      memoryMiB: 1024,
    }),
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await engine?.stop();
});

const envelope = {
  ferryVersion: '0.1.0',
  polarsVersion: '0.26.1',
  format: 'polars-json',
  kind: 'sql',
  sql: 'SELECT 1 AS one',
};

describe('the worker query API', () => {
  it('serves /v1/info without a token, over TLS with the fingerprint the worker reports', async () => {
    const r = await call('GET', '/v1/info');
    expect(r.status).toBe(200);
    expect(r.fingerprint).toBe(tls.fingerprint);
    expect(r.json).toMatchObject({ clusterId, polarsVersion: '0.26.1' });
  });

  it('refuses no token, another cluster, an expired token and another key, on every route', async () => {
    const qid = newId('query');
    const routes: [string, string][] = [
      ['POST', '/v1/queries'],
      ['GET', `/v1/queries/${qid}`],
      ['GET', `/v1/queries/${qid}/head`],
      ['GET', `/v1/queries/${qid}/result-urls`],
      ['POST', `/v1/queries/${qid}/cancel`],
      ['GET', `/v1/queries/${qid}/profile`],
    ];
    const other = generateKeyPairSync('ed25519').privateKey;
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, 'unauthenticated'],
      ['ferry_qt_garbage', 401, 'token_malformed'],
      [token({ cluster: newId('cluster') }), 403, 'token_wrong_cluster'],
      [token({ iat: nowS() - 600, exp: nowS() - 1 }), 401, 'token_expired'],
      [token({}, other), 401, 'token_bad_signature'],
    ];
    for (const [method, path] of routes)
      for (const [t, status, code] of cases) {
        const r = await call(method, path, {
          ...(t === undefined ? {} : { token: t }),
          body: { envelope },
        });
        expect([
          method,
          path,
          r.status,
          (r.json as { error?: { code: string } } | undefined)?.error?.code,
        ]).toEqual([method, path, status, code]);
      }
    expect(engine.active()).toBe(0);
  });

  it('with a good token: submit, wait for the status, 404 for an unknown id, 400 naming the field', async () => {
    const t = token();
    const submitted = await call('POST', '/v1/queries', { token: t, body: { envelope } });
    expect(submitted.status).toBe(202);
    const { queryId } = submitted.json as { queryId: string };
    expect(queryId).toMatch(/^qry_/);
    const status = await call('GET', `/v1/queries/${queryId}?waitSeconds=20`, { token: t });
    expect(status.json).toMatchObject({
      queryId,
      state: 'Failed',
      error: { code: 'no_results_bucket' },
    });
    expect((await call('GET', `/v1/queries/${newId('query')}`, { token: t })).status).toBe(404);
    expect((await call('GET', '/v1/queries/not-an-id', { token: t })).status).toBe(404);
    const bad = await call('POST', '/v1/queries', {
      token: t,
      body: { envelope: { ...envelope, sql: undefined } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { details: [{ path: 'envelope.sql' }] } });
    const local = await call('POST', '/v1/queries', {
      token: t,
      body: { envelope: { ...envelope, sql: "SELECT * FROM read_parquet('/etc/passwd')" } },
    });
    expect(local.json).toMatchObject({ error: { code: 'local_path' } });
  }, 60_000);
});
