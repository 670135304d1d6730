/**
 * Certificate pinning against a real HTTPS server with a self-signed certificate (made by
 * Debian's openssl, as a worker makes one at boot): the right fingerprint reaches the
 * worker; a wrong one fails with TlsPinError before the request — and its token — is sent.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TlsPinError } from './errors.ts';
import { workerAgent, workerJson, workerRequest } from './worker-client.ts';

let server: Server;
let port: number;
let fingerprint: string;
const seen: { url: string; authorization: string | undefined }[] = [];
let connections = 0;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pin-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=ferry-worker',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = await readFile(join(dir, 'cert.pem'));
  const key = await readFile(join(dir, 'key.pem'));
  await rm(dir, { recursive: true, force: true });
  fingerprint = createHash('sha256').update(new X509Certificate(cert).raw).digest('hex');
  server = createServer({ cert, key }, (req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true }));
  });
  server.on('secureConnection', () => (connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
});

it('reaches the worker when its certificate is the vouched one', async () => {
  const res = await workerRequest(
    {
      address: '127.0.0.1',
      port,
      tlsFingerprint: fingerprint.toUpperCase(),
      token: 'ferry_qt_a.b',
    },
    'GET',
    '/v1/queries/x',
  );
  expect(workerJson<{ ok: boolean }>(res, 'test')).toEqual({ ok: true });
  expect(seen.at(-1)).toEqual({ url: '/v1/queries/x', authorization: 'Bearer ferry_qt_a.b' });
});

it('refuses another certificate before sending the request or the token', async () => {
  const before = seen.length;
  const err = await workerRequest(
    { address: '127.0.0.1', port, tlsFingerprint: 'ab'.repeat(32), token: 'ferry_qt_secret.x' },
    'POST',
    '/v1/queries',
    { json: { envelope: {} } },
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TlsPinError);
  expect((err as TlsPinError).code).toBe('tls_pin_mismatch');
  expect((err as Error).message).toContain(fingerprint);
  await new Promise((r) => setTimeout(r, 200));
  expect(seen.length).toBe(before);
});

it('reuses a checked connection for the same fingerprint, and never for another', async () => {
  const agent = workerAgent();
  try {
    const endpoint = { address: '127.0.0.1', port, tlsFingerprint: fingerprint, token: 't.1' };
    const before = connections;
    for (let i = 0; i < 3; i++)
      expect((await workerRequest(endpoint, 'GET', `/v1/queries/k${i}`, { agent })).status).toBe(
        200,
      );
    expect(connections - before).toBe(1);
    // The same agent, a connection kept alive, but another fingerprint: refused, token unsent.
    const sent = seen.length;
    const err = await workerRequest(
      { ...endpoint, tlsFingerprint: 'cd'.repeat(32), token: 'ferry_qt_other.x' },
      'GET',
      '/v1/queries/k9',
      { agent },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsPinError);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.length).toBe(sent);
  } finally {
    agent.destroy();
  }
});
