/**
 * One AWS API request: authenticate (SigV4), route by the credential scope's service,
 * decode with the service's protocol, run the handler, encode the answer or the error.
 */
import { randomUUID } from 'node:crypto';
import type { Call, Caller, RawRequest, RawResponse, ServiceDefinition } from './contract.ts';
import { AwsError } from './contract.ts';
import type { CloudInternals } from './cloud.ts';
import type { ServiceModel } from './models.ts';
import { loadModel } from './models.ts';
import { decodeJson, encodeJson, encodeJsonError } from './protocol/json-codec.ts';
import { decodeQuery } from './protocol/query-decoder.ts';
import { encodeXmlError, encodeXmlResponse, xmlEscape } from './protocol/xml-encoder.ts';
import type { SignatureInfo } from './sigv4.ts';
import { readSignature, verifySignature } from './sigv4.ts';
import { checkRequestTime } from './request-time.ts';

type Wire =
  | { protocol: 'json'; model: ServiceModel | undefined }
  | { protocol: 'query' | 'ec2'; model: ServiceModel | undefined }
  | { protocol: 'rest-xml'; model: undefined };

/** Operations that AWS answers without any permission. */
const unauthorizedActions = new Set(['sts:GetCallerIdentity']);

function isForm(request: RawRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

/** Which wire protocol a request speaks, from its service and its shape. */
function wireOf(service: string, request: RawRequest): Wire {
  if (service === 's3') return { protocol: 'rest-xml', model: undefined };
  if (request.headers['x-amz-target']) {
    return { protocol: 'json', model: loadModel(service) };
  }
  // SQS is awsJson today but older clients (awscli v2 < 2.13) speak awsQuery.
  const model = loadModel(`${service}-query`) ?? loadModel(service);
  return { protocol: model?.metadata.protocol === 'ec2' ? 'ec2' : 'query', model };
}

function guessService(request: RawRequest): string {
  const target = request.headers['x-amz-target'] ?? '';
  if (target.startsWith('AmazonSQS')) return 'sqs';
  if (target.startsWith('Kinesis')) return 'kinesis';
  if (isForm(request) || request.query.has('Action')) return 'sts';
  return 's3';
}

function errorResponse(wire: Wire, error: AwsError, requestId: string): RawResponse {
  const headers: Record<string, string> = { 'x-amzn-RequestId': requestId };
  if (wire.protocol === 'json') {
    const { body, headers: extra } = encodeJsonError(
      wire.model,
      error.code,
      error.message,
      error.senderFault,
    );
    const version = wire.model?.metadata.jsonVersion ?? '1.0';
    return {
      status: error.status,
      headers: { ...headers, ...extra, 'content-type': `application/x-amz-json-${version}` },
      body,
    };
  }
  if (wire.protocol === 'rest-xml') {
    return {
      status: error.status,
      headers: { ...headers, 'x-amz-request-id': requestId, 'content-type': 'application/xml' },
      body:
        '<?xml version="1.0" encoding="UTF-8"?>' +
        `<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message>` +
        `<RequestId>${requestId}</RequestId></Error>`,
    };
  }
  return {
    status: error.status,
    headers: { ...headers, 'content-type': 'text/xml' },
    body: encodeXmlError(
      wire.protocol,
      error.code,
      error.message,
      error.senderFault,
      requestId,
      wire.model?.metadata.xmlNamespace,
    ),
  };
}

/** Error codes of authentication failures, per service (as each AWS service names them). */
function authError(
  service: string,
  kind: 'unknown-key' | 'bad-signature' | 'expired' | 'missing',
): AwsError {
  switch (kind) {
    case 'missing':
      return service === 's3'
        ? new AwsError('AccessDenied', 'Anonymous access is not allowed', 403)
        : new AwsError(
            'MissingAuthenticationToken',
            'Request is missing Authentication Token',
            403,
          );
    case 'unknown-key':
      if (service === 's3')
        return new AwsError(
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          403,
        );
      if (service === 'ec2')
        return new AwsError(
          'AuthFailure',
          'AWS was not able to validate the provided access credentials',
          401,
        );
      if (service === 'kinesis')
        return new AwsError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
          400,
        );
      return new AwsError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    case 'bad-signature': {
      const message =
        'The request signature we calculated does not match the signature you provided. ' +
        'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
      if (service === 'ec2') return new AwsError('AuthFailure', message, 401);
      if (service === 'kinesis') return new AwsError('InvalidSignatureException', message, 400);
      return new AwsError('SignatureDoesNotMatch', message, 403);
    }
    case 'expired':
      if (service === 'kinesis')
        return new AwsError(
          'ExpiredTokenException',
          'The security token included in the request is expired',
          400,
        );
      if (service === 'ec2')
        return new AwsError(
          'RequestExpired',
          'The security token included in the request is expired',
          400,
        );
      return new AwsError(
        'ExpiredToken',
        'The security token included in the request is expired',
        400,
      );
  }
}

/** Authenticates a signed request; returns the caller or throws the service's auth error. */
async function authenticate(
  cloud: CloudInternals,
  request: RawRequest,
  sig: SignatureInfo,
): Promise<Caller> {
  const now = cloud.now();
  const record = cloud.credentials.get(sig.accessKeyId);
  if (!record || record.status !== 'Active' || (record.notBefore ?? 0) > now)
    throw authError(sig.service, 'unknown-key');
  if ((record.sessionToken ?? undefined) !== (sig.sessionToken || undefined))
    throw sig.service === 's3'
      ? new AwsError('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400)
      : authError(sig.service, 'unknown-key');
  if (!(await verifySignature(request, sig, record.secretAccessKey)))
    throw authError(sig.service, 'bad-signature');
  // A valid signature is replayable: only within its time window.
  checkRequestTime(sig, now);
  if (record.expiresAt !== undefined && record.expiresAt <= now)
    throw authError(sig.service, 'expired');
  const caller = cloud.callerForRecord(record);
  if (!caller) throw authError(sig.service, 'unknown-key');
  return caller;
}

function operationOf(wire: Wire, request: RawRequest, params: URLSearchParams): string {
  if (wire.protocol === 'json') {
    const target = request.headers['x-amz-target'] ?? '';
    return target.slice(target.indexOf('.') + 1);
  }
  return params.get('Action') ?? '';
}

/** Handles one AWS request end to end; never throws. */
export async function handleAwsRequest(
  cloud: CloudInternals,
  request: RawRequest,
): Promise<RawResponse> {
  const requestId = randomUUID();
  let service = guessService(request);
  let wire: Wire = wireOf(service, request);
  try {
    const sig = readSignature(request);
    if (sig) {
      service = sig.service;
      wire = wireOf(service, request);
    }
    cloud.faultRegistry.checkAvailable();
    if (!sig) throw authError(service, 'missing');
    const definition: ServiceDefinition | undefined = cloud.services.get(service);
    if (!definition)
      throw new AwsError(
        'UnknownService',
        `localcloud does not implement the service ${service}`,
        400,
      );
    const caller = await authenticate(cloud, request, sig);
    const base = {
      service,
      region: sig.region,
      caller,
      requestId,
      sourceIp: request.sourceIp,
      userAgent: request.headers['user-agent'] ?? '',
      presigned: sig.presigned,
    };
    if (definition.forward) {
      const response = await definition.forward(request, base, cloud);
      cloud.store.markDirty();
      return response;
    }
    if (wire.protocol === 'rest-xml' || !wire.model)
      throw new AwsError('UnknownService', `localcloud has no model for ${service}`, 400);
    const params =
      wire.protocol === 'json'
        ? new URLSearchParams()
        : new URLSearchParams([
            ...request.query,
            ...(isForm(request) ? new URLSearchParams(request.body.toString('utf8')) : []),
          ]);
    const action = operationOf(wire, request, params);
    const handler = definition.handlers?.[action];
    if (!wire.model.operations[action] || !handler) {
      throw wire.protocol === 'json'
        ? new AwsError('UnknownOperationException', `Unknown operation ${action}`)
        : new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    const input =
      wire.protocol === 'json'
        ? decodeJson(request.body, wire.model, action)
        : decodeQuery(params, wire.model, action);
    const call: Call = { ...base, action, input };
    cloud.faults.check(service, action);
    const output = await handler(call, cloud);
    cloud.store.markDirty();
    if (!cloud.wasAuthorized(call) && !unauthorizedActions.has(`${service}:${action}`))
      cloud.log.warn('handler returned without authorizing', { service, action });
    cloud.log.debug('call', { service, action, caller: caller.arn, requestId });
    if (wire.protocol === 'json') {
      return {
        status: 200,
        headers: {
          'x-amzn-RequestId': requestId,
          'content-type': `application/x-amz-json-${wire.model.metadata.jsonVersion ?? '1.0'}`,
        },
        body: encodeJson(wire.model, action, output),
      };
    }
    return {
      status: 200,
      headers: { 'x-amzn-RequestId': requestId, 'content-type': 'text/xml' },
      body: encodeXmlResponse(wire.model, action, output, requestId),
    };
  } catch (err) {
    if (err instanceof AwsError) {
      cloud.log.debug('error', { service, code: err.code, message: err.message, requestId });
      return errorResponse(wire, err, requestId);
    }
    cloud.log.warn('internal error', { service, error: String((err as Error).stack ?? err) });
    return errorResponse(
      wire,
      new AwsError(
        'InternalFailure',
        'The request processing has failed because of an unknown error',
        500,
        false,
      ),
      requestId,
    );
  }
}
