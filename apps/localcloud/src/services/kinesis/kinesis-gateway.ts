/**
 * The Kinesis gateway: decodes the awsJson call core has authenticated, authorizes
 * `kinesis:Op` on the stream ARN, maps the caller's stream names into its account's
 * namespace inside kinesalite, forwards, and maps names, ARNs and shard iterators back.
 */
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud, RawRequest, RawResponse } from '../../core/contract.ts';
import { positionAtTimestamp, type StoreAnswer } from './at-timestamp.ts';
import type { KinesaliteBackend } from './kinesalite-backend.ts';
import {
  KinesisError,
  TARGET_PREFIX,
  operationFromTarget,
  resolveKinesisOperation,
} from './kinesis-operation.ts';
import type { KinesisOperation } from './kinesis-operation.ts';
import { wrapShardIterator } from './shard-iterator.ts';
import { streamNamespace } from './stream-namespace.ts';
import type { StreamNamespace } from './stream-namespace.ts';

export type ForwardCall = Omit<Call, 'action' | 'input'>;

export interface KinesisGateway {
  handle(request: RawRequest, call: ForwardCall): Promise<RawResponse>;
}

const JSON_TYPES = new Set(['application/x-amz-json-1.1', 'application/json']);
const CONTENT_TYPE = 'application/x-amz-json-1.1';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonResponse(status: number, body: unknown, requestId: string): RawResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

function errorResponse(code: string, message: string, status: number, requestId: string) {
  const response = jsonResponse(status, { __type: code, message }, requestId);
  response.headers['x-amzn-errortype'] = code;
  return response;
}

/** The stream store's error, in the caller's names. */
function storeError(result: StoreAnswer, ns: StreamNamespace, requestId: string): RawResponse {
  const message = typeof result.body['message'] === 'string' ? result.body['message'] : '';
  const type =
    typeof result.body['__type'] === 'string' ? result.body['__type'] : 'InternalFailure';
  return errorResponse(type, ns.rewriteText(message), result.status, requestId);
}

/** Rewrites kinesalite's names and ARNs in a response into the caller's. */
function toCaller(value: unknown, ns: StreamNamespace): unknown {
  if (Array.isArray(value)) return value.map((item) => toCaller(item, ns));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'Records') {
      out[key] = item; // record payloads are the caller's, verbatim
    } else if ((key === 'StreamName' || key === 'StreamARN') && typeof item === 'string') {
      out[key] = key === 'StreamName' ? (ns.toExternal(item) ?? item) : ns.rewriteText(item);
    } else {
      out[key] = toCaller(item, ns);
    }
  }
  return out;
}

export function createKinesisGateway(deps: {
  cloud: Cloud;
  backend: KinesaliteBackend;
}): KinesisGateway {
  const { cloud, backend } = deps;

  const send = async (name: string, body: Record<string, unknown>) => {
    const response = await backend.call(
      `${TARGET_PREFIX}.${name}`,
      Buffer.from(JSON.stringify(body)),
    );
    let parsed: unknown;
    try {
      parsed = response.body.length === 0 ? {} : JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new KinesisError(
        'InternalFailure',
        'The stream store returned an unreadable answer',
        500,
      );
    }
    return { status: response.status, body: isRecord(parsed) ? parsed : {} };
  };

  const listStreams = async (
    input: Record<string, unknown>,
    ns: StreamNamespace,
    requestId: string,
  ): Promise<RawResponse> => {
    const limitInput = input['Limit'];
    const limit = typeof limitInput === 'number' ? limitInput : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) {
      throw new KinesisError(
        'ValidationException',
        `1 validation error detected: Value '${String(limitInput)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000`,
      );
    }
    const tokenInput = input['NextToken'];
    const startInput = input['ExclusiveStartStreamName'];
    let start = typeof startInput === 'string' ? startInput : undefined;
    if (typeof tokenInput === 'string') {
      start = Buffer.from(tokenInput, 'base64').toString('utf8');
    }
    const result = await send('ListStreams', {
      // kinesalite lists names after this one; the scope's prefix sorts before all its names.
      ExclusiveStartStreamName: start === undefined ? ns.prefix : ns.toInternal(start),
      Limit: Math.min(limit + 1, 10000),
    });
    if (result.status >= 300) {
      const message = typeof result.body['message'] === 'string' ? result.body['message'] : '';
      const type =
        typeof result.body['__type'] === 'string' ? result.body['__type'] : 'InternalFailure';
      return errorResponse(type, ns.rewriteText(message), result.status, requestId);
    }
    const internal = Array.isArray(result.body['StreamNames']) ? result.body['StreamNames'] : [];
    const names = internal.flatMap((name) => {
      const external = typeof name === 'string' ? ns.toExternal(name) : undefined;
      return external === undefined ? [] : [external];
    });
    const page = names.slice(0, limit);
    const more = names.length > limit;
    const last = page[page.length - 1];
    return jsonResponse(
      200,
      {
        StreamNames: page,
        HasMoreStreams: more,
        ...(more && last !== undefined
          ? { NextToken: Buffer.from(last, 'utf8').toString('base64') }
          : {}),
      },
      requestId,
    );
  };

  const forward = async (
    operation: KinesisOperation,
    input: Record<string, unknown>,
    requestId: string,
  ): Promise<RawResponse> => {
    const ns = streamNamespace(operation.scope);
    const body: Record<string, unknown> = { ...input };
    delete body['StreamARN'];
    delete body['StreamId'];
    if (operation.streamName !== undefined && operation.name !== 'GetRecords') {
      body['StreamName'] = ns.toInternal(operation.streamName);
    }
    if (operation.innerIterator !== undefined) body['ShardIterator'] = operation.innerIterator;
    if (operation.name === 'GetShardIterator' && body['ShardIteratorType'] === 'AT_TIMESTAMP') {
      const at = await positionAtTimestamp(send, body);
      if ('error' in at) return storeError(at.error, ns, requestId);
      if (at.fields['ShardIteratorType'] !== undefined) delete body['Timestamp'];
      Object.assign(body, at.fields);
    }

    const result = await send(operation.name, body);
    if (result.status >= 300) return storeError(result, ns, requestId);
    const out = toCaller(result.body, ns) as Record<string, unknown>;
    const wrap = (inner: unknown) =>
      typeof inner === 'string' && operation.streamName !== undefined
        ? wrapShardIterator({ ...operation.scope, name: operation.streamName, inner })
        : inner;
    if (operation.name === 'GetShardIterator') out['ShardIterator'] = wrap(out['ShardIterator']);
    if (operation.name === 'GetRecords' && 'NextShardIterator' in out) {
      out['NextShardIterator'] = wrap(out['NextShardIterator']);
    }
    return jsonResponse(200, out, requestId);
  };

  const dispatch = async (request: RawRequest, call: ForwardCall): Promise<RawResponse> => {
    if (request.method.toUpperCase() !== 'POST') {
      throw new KinesisError('UnknownOperationException', 'Kinesis accepts POST requests only');
    }
    const name = operationFromTarget(request.headers['x-amz-target']);
    cloud.faults.check('kinesis', name);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    if (!JSON_TYPES.has(contentType)) {
      throw new KinesisError(
        'SerializationException',
        `Content type ${contentType || '(none)'} is not supported; localcloud's Kinesis speaks ${CONTENT_TYPE}`,
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(request.body.length === 0 ? '{}' : request.body.toString('utf8'));
    } catch {
      throw new KinesisError('SerializationException', 'The request body is not valid JSON');
    }
    if (!isRecord(input))
      throw new KinesisError('SerializationException', 'The request body must be a JSON object');

    const caller = { accountId: call.caller.accountId, region: call.region };
    const operation = resolveKinesisOperation(name, input, caller);
    cloud.authorize({ ...call, action: name, input }, operation.action, operation.resource, {
      context: operation.context,
      resourceAccount: operation.scope.accountId,
    });
    if (name === 'ListStreams') return listStreams(input, streamNamespace(caller), call.requestId);
    return forward(operation, input, call.requestId);
  };

  return {
    async handle(request, call) {
      try {
        return await dispatch(request, call);
      } catch (error) {
        if (error instanceof KinesisError || error instanceof AwsError) {
          return errorResponse(error.code, error.message, error.status, call.requestId);
        }
        cloud.log.warn('kinesis gateway failed', { error: String(error) });
        return errorResponse('InternalFailure', 'Internal service failure', 500, call.requestId);
      }
    },
  };
}
