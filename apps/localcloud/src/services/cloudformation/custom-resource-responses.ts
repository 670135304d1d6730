/**
 * Custom-resource responses: each request gets a presigned ResponseURL on localcloud
 * (`PUT /_localcloud/cfn-response/REQUEST_ID?X-Amz-…`), valid until it expires, which
 * wakes the waiting stack operation with the response body.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Cloud, Route } from '../../core/contract.ts';

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId?: string;
  StackId?: string;
  RequestId?: string;
  LogicalResourceId?: string;
  NoEcho?: boolean;
  Data?: Record<string, unknown>;
}

interface Pending {
  key: Buffer;
  expiresAt: number;
  resolve: (response: CustomResourceResponse | Error) => void;
}

/** Custom-resource requests of this cloud waiting for their response, by request id. */
function pending(cloud: Cloud): Map<string, Pending> {
  return cloud.runtime('cloudformation/pending-responses', () => new Map<string, Pending>());
}

const PATH = '/_localcloud/cfn-response/';
/** The URL stays valid two hours, as CloudFormation's presigned S3 URLs do. */
const URL_VALIDITY_SECONDS = 7200;

function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function signature(key: Buffer, requestId: string, date: string, expires: string): string {
  return createHmac('sha256', key)
    .update(`PUT\n${PATH}${requestId}\n${date}\n${expires}`)
    .digest('hex');
}

/**
 * Registers a request and returns its ResponseURL and a promise of the response, which
 * rejects after `timeoutSeconds` or when `signal` aborts.
 */
export function awaitResponse(
  cloud: Cloud,
  requestId: string,
  timeoutSeconds: number,
  signal: AbortSignal,
): { responseUrl: string; response: Promise<CustomResourceResponse>; cancel: () => void } {
  const key = randomBytes(32);
  const now = cloud.now();
  const date = amzDate(now);
  const expires = String(URL_VALIDITY_SECONDS);
  const responseUrl =
    `${cloud.baseUrl}${PATH}${requestId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${date}` +
    `&X-Amz-Expires=${expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature(key, requestId, date, expires)}`;
  let cancel = (): void => undefined;
  const response = new Promise<CustomResourceResponse>((resolve, reject) => {
    const done = (value: CustomResourceResponse | Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      pending(cloud).delete(requestId);
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const onAbort = () => done(new Error('Resource creation cancelled'));
    const timer = setTimeout(
      () =>
        done(
          new Error(
            `CloudFormation did not receive a response from your Custom Resource within ${timeoutSeconds} seconds. Please check your custom resource's logs and try again. (RequestId: ${requestId})`,
          ),
        ),
      timeoutSeconds * 1000,
    );
    signal.addEventListener('abort', onAbort);
    cancel = () => done(new Error('cancelled'));
    pending(cloud).set(requestId, {
      key,
      expiresAt: now + URL_VALIDITY_SECONDS * 1000,
      resolve: done,
    });
  });
  response.catch(() => undefined);
  return { responseUrl, response, cancel };
}

function text(
  status: number,
  message: string,
): { status: number; headers: Record<string, string>; body: string } {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${status === 403 ? 'AccessDenied' : 'NoSuchKey'}</Code><Message>${message}</Message></Error>`,
  };
}

/** Receives the responses (like the S3 object a presigned PUT would write). */
export const responseRoute: Route = {
  method: 'PUT',
  pathPrefix: PATH,
  handle(request, cloud) {
    const requestId = request.path.slice(PATH.length);
    const entry = pending(cloud).get(requestId);
    if (entry === undefined)
      return Promise.resolve(text(404, 'No custom resource request waits for this response.'));
    const date = request.query.get('X-Amz-Date') ?? '';
    const expires = request.query.get('X-Amz-Expires') ?? '';
    const given = Buffer.from(request.query.get('X-Amz-Signature') ?? '', 'utf8');
    const wanted = Buffer.from(signature(entry.key, requestId, date, expires), 'utf8');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return Promise.resolve(
        text(403, 'The request signature we calculated does not match the signature you provided.'),
      );
    }
    if (cloud.now() > entry.expiresAt) return Promise.resolve(text(403, 'Request has expired'));
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      entry.resolve(new Error('Response is not valid JSON'));
      return Promise.resolve({ status: 200, headers: {}, body: '' });
    }
    const response = (body ?? {}) as CustomResourceResponse;
    if (response.Status !== 'SUCCESS' && response.Status !== 'FAILED') {
      entry.resolve(
        new Error(
          `Invalid response status [${String(response.Status)}]; expected SUCCESS or FAILED`,
        ),
      );
    } else {
      entry.resolve(response);
    }
    return Promise.resolve({ status: 200, headers: { etag: '"0"' }, body: '' });
  },
};
