/** The answers the S3 gateway builds itself, and S3's canonical user id of an account. */
import { createHash } from 'node:crypto';
import type { RawResponse } from '../../core/contract.ts';

/** S3's canonical user id for an account (stable, 64 hex digits). */
export function canonicalUserId(accountId: string): string {
  return createHash('sha256').update(`localcloud-canonical-user:${accountId}`).digest('hex');
}

export function xmlResponse(status: number, body: string): RawResponse {
  return { status, headers: { 'content-type': 'application/xml' }, body };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): RawResponse {
  return { status, headers, body: '' };
}
