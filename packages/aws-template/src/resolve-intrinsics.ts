/**
 * Resolves the CloudFormation intrinsic functions the customer template uses, given the
 * values a deployed stack would have. It lets tests and the demo read the template's
 * policies exactly as IAM will see them after deployment.
 */
import type { CfnValue } from './cfn-value.ts';

/** A resolved JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** What a deployed stack knows. */
export interface StackFacts {
  partition: string;
  region: string;
  accountId: string;
  /** Availability zones `Fn::GetAZs` returns. */
  availabilityZones: string[];
  /** Parameter values; list parameters as arrays. */
  parameters: Record<string, string | string[]>;
  /** Physical id (`Ref`) and attributes (`Fn::GetAtt`) per logical id. */
  resources: Record<string, { ref: string; attributes: Record<string, string> }>;
  /** Template condition values. */
  conditions: Record<string, boolean>;
}

/** A template that cannot be resolved; `path` locates the expression. */
export class TemplateResolutionError extends Error {
  readonly code = 'TEMPLATE_UNRESOLVABLE';
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path || '(root)'}: ${message}`);
    this.name = 'TemplateResolutionError';
    this.path = path;
  }
}

const PSEUDO = (f: StackFacts): Record<string, string> => ({
  'AWS::Partition': f.partition,
  'AWS::Region': f.region,
  'AWS::AccountId': f.accountId,
  'AWS::URLSuffix': f.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
  'AWS::NoValue': '',
});

function refValue(name: string, f: StackFacts, path: string): string | string[] {
  const pseudo = PSEUDO(f)[name];
  if (pseudo !== undefined) return pseudo;
  const param = f.parameters[name];
  if (param !== undefined) return param;
  const res = f.resources[name];
  if (res) return res.ref;
  throw new TemplateResolutionError(path, `Ref to unknown name "${name}"`);
}

function getAtt(logicalId: string, attribute: string, f: StackFacts, path: string): string {
  const value = f.resources[logicalId]?.attributes[attribute];
  if (value === undefined) {
    throw new TemplateResolutionError(path, `no attribute ${logicalId}.${attribute}`);
  }
  return value;
}

const asString = (v: JsonValue | CfnValue, path: string): string => {
  if (typeof v !== 'string') throw new TemplateResolutionError(path, 'expected a string');
  return v;
};
const asList = (v: JsonValue, path: string): JsonValue[] => {
  if (!Array.isArray(v)) throw new TemplateResolutionError(path, 'expected a list');
  return v;
};

/** Evaluates a condition expression (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`). */
export function evaluateCondition(expr: CfnValue, f: StackFacts, path = ''): boolean {
  if (typeof expr !== 'object' || Array.isArray(expr)) {
    throw new TemplateResolutionError(path, 'expected a condition function');
  }
  const [fn, arg] = Object.entries(expr)[0] ?? [];
  const args = Array.isArray(arg) ? arg : [];
  switch (fn) {
    case 'Fn::Equals': {
      const [a, b] = args.map((x, i) => resolveIntrinsics(x, f, `${path}.Fn::Equals[${i}]`));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not':
      return !evaluateCondition(args[0] ?? '', f, `${path}.Fn::Not[0]`);
    case 'Fn::And':
      return args.every((x, i) => evaluateCondition(x, f, `${path}.Fn::And[${i}]`));
    case 'Fn::Or':
      return args.some((x, i) => evaluateCondition(x, f, `${path}.Fn::Or[${i}]`));
    case 'Condition':
      return conditionValue(asString(arg ?? null, path), f, path);
    default:
      throw new TemplateResolutionError(path, `unsupported condition function ${String(fn)}`);
  }
}

function conditionValue(name: string, f: StackFacts, path: string): boolean {
  const v = f.conditions[name];
  if (v === undefined) throw new TemplateResolutionError(path, `unknown condition "${name}"`);
  return v;
}

function substitute(
  text: string,
  vars: Record<string, JsonValue>,
  f: StackFacts,
  path: string,
): string {
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_all, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    if (name in vars) return asString(vars[name] ?? null, `${path}.${name}`);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) {
      return getAtt(name.slice(0, dot), name.slice(dot + 1), f, path);
    }
    const v = refValue(name, f, path);
    if (Array.isArray(v)) throw new TemplateResolutionError(path, `\${${name}} is a list`);
    return v;
  });
}

/** Resolves every intrinsic function in `value`. */
export function resolveIntrinsics(value: CfnValue, f: StackFacts, path = ''): JsonValue {
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => resolveIntrinsics(v, f, `${path}[${i}]`));
  const keys = Object.keys(value);
  const only = keys.length === 1 ? keys[0]! : undefined;
  const arg = only === undefined ? undefined : value[only]!;
  const at = `${path}.${only ?? ''}`;
  const list = (x: CfnValue | undefined): CfnValue[] => (Array.isArray(x) ? x : []);
  switch (only) {
    case 'Ref':
      return refValue(asString(arg ?? null, at), f, at);
    case 'Fn::GetAtt': {
      const [r, a] = typeof arg === 'string' ? arg.split('.') : list(arg);
      return getAtt(asString(r ?? null, at), asString(a ?? null, at), f, at);
    }
    case 'Fn::Sub': {
      if (typeof arg === 'string') return substitute(arg, {}, f, at);
      const [text, vars] = list(arg);
      const resolvedVars: Record<string, JsonValue> = {};
      if (vars && typeof vars === 'object' && !Array.isArray(vars)) {
        for (const [k, v] of Object.entries(vars)) {
          resolvedVars[k] = resolveIntrinsics(v, f, `${at}.${k}`);
        }
      }
      return substitute(asString((text as JsonValue) ?? null, at), resolvedVars, f, at);
    }
    case 'Fn::Join': {
      const [delimiter, items] = list(arg);
      const parts = asList(resolveIntrinsics(items ?? [], f, `${at}[1]`), at);
      return parts
        .map((p, i) => asString(p, `${at}[1][${i}]`))
        .join(asString(delimiter ?? null, `${at}[0]`));
    }
    case 'Fn::Split': {
      const [delimiter, source] = list(arg);
      return asString(resolveIntrinsics(source ?? '', f, `${at}[1]`), at).split(
        asString(delimiter ?? null, `${at}[0]`),
      );
    }
    case 'Fn::Select': {
      const [index, items] = list(arg);
      const parts = asList(resolveIntrinsics(items ?? [], f, `${at}[1]`), at);
      const i = Number(resolveIntrinsics(index ?? 0, f, `${at}[0]`));
      if (!(i >= 0 && i < parts.length)) throw new TemplateResolutionError(at, `no item ${i}`);
      return parts[i]!;
    }
    case 'Fn::GetAZs':
      return [...f.availabilityZones];
    case 'Fn::If': {
      const [name, whenTrue, whenFalse] = list(arg);
      const branch = conditionValue(asString((name as JsonValue) ?? null, at), f, at);
      return resolveIntrinsics(
        (branch ? whenTrue : whenFalse) ?? '',
        f,
        `${at}[${branch ? 1 : 2}]`,
      );
    }
    default: {
      if (only?.startsWith('Fn::')) {
        throw new TemplateResolutionError(at, `unsupported function ${only}`);
      }
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value)) out[k] = resolveIntrinsics(v, f, `${path}.${k}`);
      return out;
    }
  }
}
