import { X509Certificate } from 'node:crypto';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTlsIdentity } from './self-signed-cert.ts';

describe('createTlsIdentity', () => {
  it('makes a certificate OpenSSL parses and verifies, and a TLS server serves it, pinned by fingerprint', async () => {
    const id = createTlsIdentity({ commonName: 'ferry-worker', ips: ['127.0.0.1'] });
    const cert = new X509Certificate(id.certPem);
    expect(cert.subject).toBe('CN=ferry-worker');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(cert.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(id.fingerprint);
    const server = createServer({ key: id.keyPem, cert: id.certPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const seen = await new Promise<{ body: string; fingerprint: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false },
          (res) => {
            const raw = (res.socket as TLSSocket).getPeerCertificate().raw;
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () =>
              resolve({ body, fingerprint: createHash('sha256').update(raw).digest('hex') }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(seen).toEqual({ body: 'ok', fingerprint: id.fingerprint });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
