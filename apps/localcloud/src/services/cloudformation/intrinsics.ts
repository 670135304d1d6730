/**
 * Intrinsic functions and pseudo parameters: Ref, Fn::GetAtt, Fn::Sub (both forms),
 * Fn::Join, Fn::Select, Fn::Split, Fn::GetAZs, Fn::If, Fn::Equals, Fn::Not, Fn::And,
 * Fn::Or, Fn::Base64, Fn::FindInMap, Fn::ImportValue, Fn::Cidr; AWS::NoValue drops a value.
 */
import { AwsError } from '../../core/contract.ts';
import type { Json } from './template-parser.ts';

/** A value for AWS::NoValue, removed from the enclosing object or list. */
export const NO_VALUE = Symbol('AWS::NoValue');

export type Resolved = Json | typeof NO_VALUE;

export interface ResolveContext {
  accountId: string;
  region: string;
  stackName: string;
  stackId: string;
  /** Parameter values: strings, or string lists for list types. */
  parameters: Record<string, string | string[]>;
  conditions: Record<string, boolean>;
  mappings: Record<string, Record<string, Record<string, Json>>>;
  /** Ref of a resource (its physical id); undefined when not created (yet). */
  ref(logicalId: string): string | undefined;
  /** An attribute of a created resource. */
  getAtt(logicalId: string, attribute: string): Json | undefined;
  importValue?(name: string): string | undefined;
}

export class IntrinsicError extends AwsError {
  constructor(message: string) {
    super('ValidationError', message);
  }
}

const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::Region',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::Partition',
  'AWS::URLSuffix',
  'AWS::NoValue',
  'AWS::NotificationARNs',
]);

export function isPseudoParameter(name: string): boolean {
  return PSEUDO.has(name);
}

function pseudo(name: string, ctx: ResolveContext): Resolved {
  switch (name) {
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return ctx.stackId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NotificationARNs':
      return [];
    default:
      return NO_VALUE;
  }
}

function asString(value: Resolved, fn: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicError(`Template error: every ${fn} argument must resolve to a string`);
}

function asList(value: Resolved, fn: string): Json[] {
  if (Array.isArray(value)) return value;
  throw new IntrinsicError(`Template error: ${fn} requires a list`);
}

function refValue(name: string, ctx: ResolveContext): Resolved {
  if (PSEUDO.has(name)) return pseudo(name, ctx);
  if (name in ctx.parameters) return ctx.parameters[name] as Json;
  const physical = ctx.ref(name);
  if (physical === undefined)
    throw new IntrinsicError(`Template error: unresolved reference ${name}`);
  return physical;
}

function getAtt(logicalId: string, attribute: string, ctx: ResolveContext): Json {
  const value = ctx.getAtt(logicalId, attribute);
  if (value === undefined) {
    throw new IntrinsicError(
      `Template error: resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`,
    );
  }
  return value;
}

function sub(template: string, vars: Record<string, Resolved>, ctx: ResolveContext): string {
  return template.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const key = name.trim();
    if (key in vars) return asString(vars[key] as Resolved, 'Fn::Sub');
    const dot = key.indexOf('.');
    if (dot > 0 && !PSEUDO.has(key))
      return asString(getAtt(key.slice(0, dot), key.slice(dot + 1), ctx), 'Fn::Sub');
    const value = refValue(key, ctx);
    if (Array.isArray(value))
      throw new IntrinsicError(`Template error: ${whole} in Fn::Sub refers to a list`);
    return asString(value, 'Fn::Sub');
  });
}

/** Evaluates a condition expression (Fn::Equals/Not/And/Or/Condition). */
export function evaluateCondition(expr: Json, ctx: ResolveContext): boolean {
  const value = resolve(expr, ctx);
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new IntrinsicError('Template error: a condition must evaluate to true or false');
}

/** Resolves every intrinsic function in `value`. */
export function resolve(value: Json, ctx: ResolveContext): Resolved {
  if (Array.isArray(value)) {
    return value.map((v) => resolve(v, ctx)).filter((v): v is Json => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const fn = keys[0] as string;
    const arg = value[fn] as Json;
    switch (fn) {
      case 'Ref':
        return refValue(asString(arg, 'Ref'), ctx);
      case 'Condition': {
        const name = asString(arg, 'Condition');
        if (!(name in ctx.conditions))
          throw new IntrinsicError(`Template error: unresolved condition dependency ${name}`);
        return ctx.conditions[name] as boolean;
      }
      case 'Fn::GetAtt': {
        const parts =
          typeof arg === 'string'
            ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)]
            : asList(arg, 'Fn::GetAtt');
        const [id, attr] = parts.map((p) => asString(resolve(p, ctx), 'Fn::GetAtt'));
        return getAtt(id ?? '', attr ?? '', ctx);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return sub(arg, {}, ctx);
        const [text, vars] = asList(arg, 'Fn::Sub');
        const resolvedVars: Record<string, Resolved> = {};
        for (const [k, v] of Object.entries((vars ?? {}) as Record<string, Json>))
          resolvedVars[k] = resolve(v, ctx);
        return sub(asString(text ?? '', 'Fn::Sub'), resolvedVars, ctx);
      }
      case 'Fn::Join': {
        const [sep, list] = asList(arg, 'Fn::Join');
        return asList(resolve(list ?? [], ctx), 'Fn::Join')
          .map((v) => asString(v, 'Fn::Join'))
          .join(asString(sep ?? '', 'Fn::Join'));
      }
      case 'Fn::Select': {
        const [index, list] = asList(arg, 'Fn::Select');
        const items = asList(resolve(list ?? [], ctx), 'Fn::Select');
        const i = Number(resolve(index ?? 0, ctx));
        if (!Number.isInteger(i) || i < 0 || i >= items.length) {
          throw new IntrinsicError(
            `Template error: Fn::Select cannot select nonexistent value at index ${String(i)}`,
          );
        }
        return items[i] as Json;
      }
      case 'Fn::Split': {
        const [sep, text] = asList(arg, 'Fn::Split');
        return asString(resolve(text ?? '', ctx), 'Fn::Split').split(
          asString(sep ?? '', 'Fn::Split'),
        );
      }
      case 'Fn::GetAZs': {
        const region = asString(resolve(arg, ctx), 'Fn::GetAZs') || ctx.region;
        return ['a', 'b', 'c'].map((z) => `${region}${z}`);
      }
      case 'Fn::If': {
        const [name, yes, no] = asList(arg, 'Fn::If');
        const cond = asString(name ?? '', 'Fn::If');
        if (!(cond in ctx.conditions))
          throw new IntrinsicError(
            `Template error: unresolved condition dependency ${cond} in Fn::If`,
          );
        return resolve((ctx.conditions[cond] ? yes : no) ?? null, ctx);
      }
      case 'Fn::Equals': {
        const [a, b] = asList(arg, 'Fn::Equals');
        return JSON.stringify(resolve(a ?? null, ctx)) === JSON.stringify(resolve(b ?? null, ctx));
      }
      case 'Fn::Not': {
        const [a] = asList(arg, 'Fn::Not');
        return !evaluateCondition(a ?? null, ctx);
      }
      case 'Fn::And':
        return asList(arg, 'Fn::And').every((c) => evaluateCondition(c, ctx));
      case 'Fn::Or':
        return asList(arg, 'Fn::Or').some((c) => evaluateCondition(c, ctx));
      case 'Fn::Base64':
        return Buffer.from(asString(resolve(arg, ctx), 'Fn::Base64')).toString('base64');
      case 'Fn::FindInMap': {
        const [map, top, second] = asList(arg, 'Fn::FindInMap').map((p) =>
          asString(resolve(p, ctx), 'Fn::FindInMap'),
        );
        const found = ctx.mappings[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (found === undefined)
          throw new IntrinsicError(
            `Template error: Unable to get mapping for ${map}::${top}::${second}`,
          );
        return found;
      }
      case 'Fn::ImportValue': {
        const name = asString(resolve(arg, ctx), 'Fn::ImportValue');
        const found = ctx.importValue?.(name);
        if (found === undefined) throw new IntrinsicError(`No export named ${name} found.`);
        return found;
      }
      case 'Fn::Cidr': {
        const [block, count, bits] = asList(arg, 'Fn::Cidr').map((p) => resolve(p, ctx));
        return cidrs(asString(block ?? '', 'Fn::Cidr'), Number(count), Number(bits));
      }
      default:
        if (fn.startsWith('Fn::'))
          throw new IntrinsicError(`Template error: ${fn} is not supported here`);
    }
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolve(v, ctx);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

function cidrs(block: string, count: number, bits: number): string[] {
  const [ip, prefix] = block.split('/');
  const octets = (ip ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new IntrinsicError(`Template error: Fn::Cidr: invalid CIDR block ${block}`);
  }
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** bits;
  const newPrefix = 32 - bits;
  if (newPrefix < Number(prefix))
    throw new IntrinsicError('Template error: Fn::Cidr: too many bits for the block');
  return Array.from({ length: count }, (_, i) => {
    const n = base + i * size;
    return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}/${newPrefix}`;
  });
}

/** The logical ids a value depends on through Ref, Fn::GetAtt and Fn::Sub. */
export function references(value: Json, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) references(v, out);
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'Ref' && typeof v === 'string') out.add(v);
    else if (k === 'Fn::GetAtt') {
      const id = typeof v === 'string' ? v.split('.')[0] : Array.isArray(v) ? v[0] : undefined;
      if (typeof id === 'string') out.add(id);
    } else if (k === 'Fn::Sub') {
      const text = typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
      const vars = Array.isArray(v) && v[1] && typeof v[1] === 'object' ? Object.keys(v[1]) : [];
      if (typeof text === 'string') {
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = (m[1] ?? '').trim().split('.')[0] ?? '';
          if (!vars.includes((m[1] ?? '').trim())) out.add(name);
        }
      }
      references(v, out);
    } else references(v, out);
  }
  return out;
}
