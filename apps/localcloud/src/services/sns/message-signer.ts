/**
 * Signs notifications as SNS does (SignatureVersion 1: SHA1withRSA over the canonical
 * string of the message) with a key pair made per cloud; the public key is served at the
 * SigningCertURL (a PEM public key, where AWS serves an X.509 certificate).
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Cloud, Route } from '../../core/contract.ts';

function keyPair(cloud: Cloud): { privateKey: KeyObject; publicPem: string } {
  return cloud.runtime('sns/signing-key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  });
}

export const SIGNING_CERT_PATH = '/_localcloud/sns/SimpleNotificationService.pem';

/** The fields signed, in SNS's order, for Notification and SubscriptionConfirmation messages. */
const SIGNED_FIELDS: Record<string, string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: [
    'Message',
    'MessageId',
    'SubscribeURL',
    'Timestamp',
    'Token',
    'TopicArn',
    'Type',
  ],
};

/** Adds SignatureVersion, Signature and SigningCertURL to the envelope. */
export function signEnvelope(
  cloud: Cloud,
  envelope: Record<string, string>,
  version: '1' | '2',
): void {
  const fields = SIGNED_FIELDS[envelope.Type ?? ''] ?? [];
  let canonical = '';
  for (const field of fields) {
    const value = envelope[field];
    if (value !== undefined) canonical += `${field}\n${value}\n`;
  }
  const signer = createSign(version === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
  signer.update(canonical, 'utf8');
  envelope.SignatureVersion = version;
  envelope.Signature = signer.sign(keyPair(cloud).privateKey, 'base64');
  envelope.SigningCertURL = `${cloud.baseUrl}${SIGNING_CERT_PATH}`;
}

/** Serves the public key notifications are signed with. */
export const signingCertRoute: Route = {
  method: 'GET',
  pathPrefix: SIGNING_CERT_PATH,
  handle(_request, cloud) {
    return Promise.resolve({
      status: 200,
      headers: { 'content-type': 'application/x-pem-file' },
      body: keyPair(cloud).publicPem,
    });
  },
};
