/**
 * Service models (trimmed botocore service-2.json, see scripts/extract-models.ts): the
 * protocol layer decodes requests and encodes responses from them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A reference to a shape from a member, list member, map key or value. */
export interface ShapeRef {
  shape: string;
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
  xmlAttribute?: boolean;
  timestampFormat?: string;
  location?: string;
}

export interface Shape {
  type:
    | 'structure'
    | 'list'
    | 'map'
    | 'string'
    | 'integer'
    | 'long'
    | 'boolean'
    | 'double'
    | 'float'
    | 'timestamp'
    | 'blob';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  flattened?: boolean;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  timestampFormat?: string;
  locationName?: string;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  exception?: boolean;
}

export interface Operation {
  name: string;
  http?: { method: string; requestUri: string };
  input?: ShapeRef;
  output?: ShapeRef & { resultWrapper?: string };
  errors?: ShapeRef[];
}

export interface ServiceModel {
  metadata: {
    protocol: 'query' | 'ec2' | 'json' | 'rest-xml' | 'rest-json';
    apiVersion: string;
    endpointPrefix: string;
    jsonVersion?: string;
    targetPrefix?: string;
    xmlNamespace?: string;
    signingName?: string;
    awsQueryCompatible?: Record<string, unknown>;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');
const cache = new Map<string, ServiceModel | undefined>();

/**
 * Loads `models/<name>.json` (e.g. `sqs`, or `sqs-query` for the query variant);
 * undefined when localcloud has no model of that name.
 */
export function loadModel(name: string): ServiceModel | undefined {
  if (!cache.has(name)) {
    const file = join(modelsDir, `${name}.json`);
    cache.set(
      name,
      existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ServiceModel) : undefined,
    );
  }
  return cache.get(name);
}

/** The shape named `name`; throws when the model lacks it (a broken model file). */
export function shapeOf(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model ${model.metadata.endpointPrefix} has no shape ${name}`);
  return shape;
}

/**
 * The wire error code of an error shape: its `error.code` when the model overrides it
 * (e.g. SQS's `AWS.SimpleQueueService.NonExistentQueue`), else the shape name.
 */
export function errorShapeFor(
  model: ServiceModel,
  code: string,
): { shapeName: string; queryCode: string } | undefined {
  const direct = model.shapes[code];
  if (direct?.exception) return { shapeName: code, queryCode: direct.error?.code ?? code };
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (shape.exception && shape.error?.code === code) return { shapeName: name, queryCode: code };
  }
  return undefined;
}
