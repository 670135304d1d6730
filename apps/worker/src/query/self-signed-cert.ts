/**
 * The worker's TLS identity, made at boot: a fresh ECDSA P-256 key pair and a self-signed
 * X.509 certificate for it (DER written by hand: node:crypto signs but does not issue
 * certificates). Clients trust it by its sha256 fingerprint, which the worker reports at
 * registration and the control plane hands to clients with their query token, so no CA is
 * involved and the key never leaves the process.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

export interface TlsIdentity {
  readonly keyPem: string;
  readonly certPem: string;
  /** sha256 of the certificate's DER, lower-case hex. */
  readonly fingerprint: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [(parts[0] ?? 0) * 40 + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${s}Z`, 'ascii'));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** A new key pair and self-signed certificate valid from now (minus a minute of skew) for `days`. */
export function createTlsIdentity(options: {
  commonName: string;
  ips?: string[];
  days?: number;
}): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(options.commonName, 'utf8')))));
  const now = Date.now();
  const validity = seq(
    utcTime(new Date(now - 60_000)),
    utcTime(new Date(now + (options.days ?? 365) * 86_400_000)),
  );
  const altNames = (options.ips ?? []).map((ip) =>
    tlv(0x87, Buffer.from(ip.split('.').map(Number))),
  );
  const extensions =
    altNames.length === 0
      ? []
      : [tlv(0xa3, seq(seq(oid('2.5.29.17'), tlv(0x04, seq(...altNames)))))];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ECDSA_SHA256,
    name,
    validity,
    name,
    spki,
    ...extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}
