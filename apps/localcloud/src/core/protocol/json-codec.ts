/**
 * awsJson 1.0/1.1: request bodies decoded against the input shape (timestamps as epoch
 * seconds, blobs as base64), outputs encoded back; errors as `{"__type", "message"}`.
 */
import { AwsError } from '../contract.ts';
import type { ServiceModel, ShapeRef } from '../models.ts';
import { errorShapeFor, loadModel, shapeOf } from '../models.ts';

function decodeValue(value: unknown, ref: ShapeRef, model: ServiceModel, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = shapeOf(model, ref.shape);
  const bad = (what: string) =>
    new AwsError('SerializationException', `Invalid value for ${path || 'input'}: ${what}`);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('expected an object');
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        if (name in src) {
          const v = decodeValue(src[name], member, model, path ? `${path}.${name}` : name);
          if (v !== undefined) out[name] = v;
        }
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(value)) throw bad('expected a list');
      return value.map((v, i) => decodeValue(v, shape.member as ShapeRef, model, `${path}[${i}]`));
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('expected a map');
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        out[k] = decodeValue(v, shape.value as ShapeRef, model, `${path}.${k}`);
      return out;
    }
    case 'timestamp': {
      const d =
        typeof value === 'number'
          ? new Date(value * 1000)
          : typeof value === 'string'
            ? new Date(value)
            : new Date(NaN);
      if (Number.isNaN(d.getTime())) throw bad('not a timestamp');
      return d;
    }
    case 'blob':
      if (typeof value !== 'string') throw bad('expected base64 text');
      return Buffer.from(value, 'base64');
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('expected a boolean');
      return value;
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      if (typeof value !== 'number') throw bad('expected a number');
      return value;
    default:
      if (typeof value !== 'string') throw bad('expected a string');
      return value;
  }
}

/** Decodes an awsJson request body into the operation's input shape. */
export function decodeJson(
  body: Buffer,
  model: ServiceModel,
  operation: string,
): Record<string, unknown> {
  const op = model.operations[operation];
  const text = body.toString('utf8').trim();
  let parsed: unknown = {};
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AwsError('SerializationException', 'The request body is not valid JSON');
    }
  }
  if (!op?.input) return {};
  return (decodeValue(parsed, op.input, model, '') ?? {}) as Record<string, unknown>;
}

function encodeValue(value: unknown, ref: ShapeRef, model: ServiceModel): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = shapeOf(model, ref.shape);
  switch (shape.type) {
    case 'structure': {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const v = encodeValue(src[name], member, model);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((v) => encodeValue(v, shape.member as ShapeRef, model));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        out[k] = encodeValue(v, shape.value as ShapeRef, model);
      return out;
    }
    case 'timestamp': {
      const d = value instanceof Date ? value : new Date(value as string | number);
      return d.getTime() / 1000;
    }
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : value;
    default:
      return value;
  }
}

/** Encodes an output object as the awsJson response body. */
export function encodeJson(
  model: ServiceModel,
  operation: string,
  output: Record<string, unknown>,
): string {
  const op = model.operations[operation];
  if (!op?.output) return '{}';
  return JSON.stringify(encodeValue(output, op.output, model) ?? {});
}

/**
 * The awsJson error body and headers. For services that were query-compatible (SQS), the
 * query error code travels in `x-amzn-query-error` so older error codes keep working.
 */
export function encodeJsonError(
  model: ServiceModel | undefined,
  code: string,
  message: string,
  senderFault: boolean,
): { body: string; headers: Record<string, string> } {
  // The JSON model of a query-compatible service lacks the query codes; its query variant has them.
  const queryVariant = model?.metadata.awsQueryCompatible
    ? loadModel(`${model.metadata.endpointPrefix}-query`)
    : undefined;
  const found =
    (queryVariant ? errorShapeFor(queryVariant, code) : undefined) ??
    (model ? errorShapeFor(model, code) : undefined);
  const type = found?.shapeName ?? code;
  const headers: Record<string, string> = {};
  if (model?.metadata.awsQueryCompatible) {
    headers['x-amzn-query-error'] =
      `${found?.queryCode ?? code};${senderFault ? 'Sender' : 'Receiver'}`;
  }
  const prefix = model?.metadata.awsQueryCompatible
    ? `com.amazonaws.${model.metadata.endpointPrefix}#`
    : '';
  return { body: JSON.stringify({ __type: `${prefix}${type}`, message }), headers };
}
