/**
 * The template of a request: TemplateBody, or TemplateURL on localcloud's S3 (path-style
 * under the endpoint, or an `s3.amazonaws.com` URL mapped to it), fetched with the caller's
 * own credentials (presigned URLs are fetched as they are).
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Caller, Cloud } from '../../core/contract.ts';
import { validationError } from './stack-store.ts';

const MAX_BODY = 51200;
const MAX_URL_BODY = 1024 * 1024;

/** The URL on localcloud a TemplateURL names. */
export function localTemplateUrl(cloud: Cloud, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validationError('TemplateURL must be a supported URL.');
  }
  const base = new URL(cloud.baseUrl);
  if (url.host === base.host) return url;
  // s3.amazonaws.com/BUCKET/KEY, s3.REGION.amazonaws.com/BUCKET/KEY, BUCKET.s3[.REGION].amazonaws.com/KEY
  const virtual = /^([^.]+)\.s3[.-]?([a-z0-9-]*)\.amazonaws\.com$/.exec(url.hostname);
  if (virtual) return new URL(`${cloud.baseUrl}/${virtual[1] ?? ''}${url.pathname}${url.search}`);
  if (/^s3[.-]?([a-z0-9-]*)\.amazonaws\.com$/.test(url.hostname))
    return new URL(`${cloud.baseUrl}${url.pathname}${url.search}`);
  throw validationError('TemplateURL must be a supported URL.');
}

/** The template text of CreateStack/UpdateStack/ValidateTemplate input. */
export async function templateText(
  cloud: Cloud,
  caller: Caller,
  region: string,
  input: Record<string, unknown>,
): Promise<string> {
  const body = input.TemplateBody;
  const urlText = input.TemplateURL;
  if (typeof body === 'string' && typeof urlText === 'string') {
    throw validationError('You cannot specify both TemplateURL and TemplateBody');
  }
  if (typeof body === 'string') {
    if (body.length > MAX_BODY)
      throw validationError(
        `1 validation error detected: Value 'templateBody' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BODY}`,
      );
    return body;
  }
  if (typeof urlText !== 'string' || urlText === '')
    throw validationError('Either Template URL or Template Body must be specified.');
  const url = localTemplateUrl(cloud, urlText);
  const headers: Record<string, string> = {};
  if (!url.searchParams.has('X-Amz-Signature')) {
    const record = cloud.credentials.get(caller.accessKeyId);
    if (record === undefined) throw validationError(`S3 error: Access Denied fetching ${urlText}`);
    const signer = new SignatureV4({
      service: 's3',
      region,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
      credentials: {
        accessKeyId: record.accessKeyId,
        secretAccessKey: record.secretAccessKey,
        ...(record.sessionToken === undefined ? {} : { sessionToken: record.sessionToken }),
      },
    });
    const request = new HttpRequest({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const signed = await signer.sign(request);
    Object.assign(headers, signed.headers);
  }
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) {
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? String(res.status);
    throw validationError(
      `S3 error: ${code === 'AccessDenied' ? 'Access Denied' : code === 'NoSuchKey' ? 'The specified key does not exist.' : code} (fetching TemplateURL ${urlText})`,
    );
  }
  if (text.length > MAX_URL_BODY)
    throw validationError('Template may not exceed 1048576 bytes in size.');
  return text;
}
