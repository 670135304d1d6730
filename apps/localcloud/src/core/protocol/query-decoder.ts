/**
 * Decodes awsQuery and ec2Query form parameters into an operation's input shape.
 *
 * awsQuery: `Name.member.N` lists (or `Name.N` when flattened, named after the member's
 * locationName), `Name.entry.N.key|value` maps (`Name.N.key|value` when flattened).
 * ec2Query: lists always flattened as `Name.N`; member names from `queryName`, else the
 * capitalised `locationName`, else the member name. The decoder accepts both spellings of
 * a list so that older and newer clients of the same service decode alike.
 */
import { AwsError } from '../contract.ts';
import type { ServiceModel, Shape, ShapeRef } from '../models.ts';
import { shapeOf } from '../models.ts';

interface Node {
  value?: string;
  children: Map<string, Node>;
}

function newNode(): Node {
  return { children: new Map() };
}

/** Builds the dotted-key tree of the form parameters. */
export function paramTree(params: URLSearchParams): Node {
  const root = newNode();
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split('.')) {
      let child = node.children.get(part);
      if (!child) {
        child = newNode();
        node.children.set(part, child);
      }
      node = child;
    }
    node.value = value;
  }
  return root;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function memberNames(name: string, ref: ShapeRef, model: ServiceModel, ec2: boolean): string[] {
  const names: string[] = [];
  if (ec2) {
    if (ref.queryName) names.push(ref.queryName);
    if (ref.locationName) names.push(capitalise(ref.locationName));
    names.push(name);
  } else {
    if (ref.locationName) names.push(ref.locationName);
    names.push(name);
    const shape = model.shapes[ref.shape];
    // Flattened lists and maps are sent under their member's name (SQS's AttributeName.N).
    if (shape?.type === 'list' && (shape.flattened || ref.flattened) && shape.member?.locationName)
      names.push(shape.member.locationName);
    if (shape?.type === 'map' && (shape.flattened || ref.flattened) && ref.locationName)
      names.push(ref.locationName);
  }
  return names;
}

function indexed(node: Node): Node[] {
  return [...node.children.entries()]
    .filter(([k]) => /^\d+$/.test(k))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => v);
}

function decodeValue(
  node: Node,
  ref: ShapeRef,
  model: ServiceModel,
  ec2: boolean,
  path: string,
): unknown {
  const shape: Shape = shapeOf(model, ref.shape);
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        for (const wire of memberNames(name, member, model, ec2)) {
          const child = node.children.get(wire);
          if (child) {
            out[name] = decodeValue(child, member, model, ec2, path ? `${path}.${wire}` : wire);
            break;
          }
        }
      }
      return out;
    }
    case 'list': {
      const memberRef = shape.member as ShapeRef;
      const container =
        node.children.get('member') ??
        (memberRef.locationName ? node.children.get(memberRef.locationName) : undefined) ??
        node;
      return indexed(container).map((item, i) =>
        decodeValue(item, memberRef, model, ec2, `${path}.${i + 1}`),
      );
    }
    case 'map': {
      const keyRef = shape.key as ShapeRef;
      const valueRef = shape.value as ShapeRef;
      const container = node.children.get('entry') ?? node;
      const out: Record<string, unknown> = {};
      for (const entry of indexed(container)) {
        const keyNode =
          entry.children.get(keyRef.locationName ?? 'key') ??
          entry.children.get('key') ??
          entry.children.get('Key') ??
          entry.children.get('Name');
        const valueNode =
          entry.children.get(valueRef.locationName ?? 'value') ??
          entry.children.get('value') ??
          entry.children.get('Value');
        if (keyNode?.value === undefined) continue;
        out[keyNode.value] = valueNode
          ? decodeValue(valueNode, valueRef, model, ec2, `${path}.${keyNode.value}`)
          : '';
      }
      return out;
    }
    default:
      return decodeScalar(node.value ?? '', shape, path);
  }
}

/** Decodes one scalar wire value; a malformed one is a ValidationError naming the field. */
export function decodeScalar(raw: string, shape: Shape, path: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      if (!/^-?\d+$/.test(raw.trim()))
        throw new AwsError('ValidationError', `Invalid value '${raw}' for ${path}: not an integer`);
      return Number(raw);
    }
    case 'double':
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n))
        throw new AwsError('ValidationError', `Invalid value '${raw}' for ${path}: not a number`);
      return n;
    }
    case 'boolean': {
      const v = raw.toLowerCase();
      if (v !== 'true' && v !== 'false')
        throw new AwsError('ValidationError', `Invalid value '${raw}' for ${path}: not a boolean`);
      return v === 'true';
    }
    case 'timestamp': {
      const d = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
      if (Number.isNaN(d.getTime()))
        throw new AwsError(
          'ValidationError',
          `Invalid value '${raw}' for ${path}: not a timestamp`,
        );
      return d;
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}

/** Decodes form parameters into the input shape of `operation` (without `Action`/`Version`). */
export function decodeQuery(
  params: URLSearchParams,
  model: ServiceModel,
  operation: string,
): Record<string, unknown> {
  const op = model.operations[operation];
  if (!op?.input) return {};
  const ec2 = model.metadata.protocol === 'ec2';
  return decodeValue(paramTree(params), op.input, model, ec2, '') as Record<string, unknown>;
}
