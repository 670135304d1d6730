/**
 * Parsing and validation of policy documents: JSON text or an object in, a normalised
 * PolicyDocument (every single-or-array element an array) or precise problems out.
 */
import { isKnownService, matchingActions } from './action-catalog.ts';
import { arnProblem } from './arn.ts';
import { conditionValueProblem, parseConditionOperator } from './condition-operators.ts';
import type {
  ConditionBlock,
  ParseResult,
  PolicyDocument,
  PolicyKind,
  PolicyProblem,
  PrincipalElement,
  PrincipalType,
  Statement,
} from './types.ts';
import { hasVariables, variableProblem } from './variables.ts';

const TOP_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_TYPES: readonly PrincipalType[] = ['AWS', 'Service', 'Federated', 'CanonicalUser'];
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
/** Actions a role trust policy may name (AWS rejects others with MalformedPolicyDocument). */
const TRUST_ACTIONS = /^sts:(AssumeRole\w*|TagSession|SetSourceIdentity|SetContext)$/i;
const AWS_PRINCIPAL = /^(\*|\d{12}|arn:[^:]+:(iam|sts)::(\d{12})?:.+)$/;
const CONDITION_KEY = /^[A-Za-z0-9./_-]+:[^\s]+$/;
const SERVICE_PRINCIPAL = /^([a-z0-9-]+(\.[a-z0-9-]+)+|\*)$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

class Collector {
  readonly problems: PolicyProblem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
}

/** A string or a non-empty array of strings → string[]; reports anything else. */
function stringList(value: unknown, path: string, out: Collector): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.add(path, 'must not be an empty array');
      return undefined;
    }
    const list: string[] = [];
    value.forEach((item, i) => {
      if (typeof item === 'string') list.push(item);
      else out.add(`${path}[${i}]`, `must be a string, got ${describe(item)}`);
    });
    return list.length === value.length ? list : undefined;
  }
  out.add(path, `must be a string or an array of strings, got ${describe(value)}`);
  return undefined;
}

/** IAM substitutes variables only in the resource part of an ARN, after the fifth colon. */
function resourceVariableProblem(arn: string): string | undefined {
  const head = arn.split(':').slice(0, 5).join(':');
  return head.includes('${')
    ? `"${arn}": policy variables may only appear in the resource part of an ARN (after the fifth colon)`
    : undefined;
}

function checkAction(action: string, kind: PolicyKind, path: string, out: Collector): void {
  if (action === '*') return;
  const colon = action.indexOf(':');
  if (colon <= 0 || colon === action.length - 1) {
    out.add(path, `"${action}" is not an action: expected "service:Action" or "*"`);
    return;
  }
  const service = action.slice(0, colon);
  if (!service.includes('*') && !service.includes('?') && !isKnownService(service)) {
    out.add(path, `unknown service prefix "${service}" in "${action}"`);
    return;
  }
  const matches = matchingActions(action);
  if (matches.length === 0) {
    out.add(path, `"${action}" matches no action AWS documents`);
    return;
  }
  if (kind === 'trust' && !matches.some((a) => TRUST_ACTIONS.test(a))) {
    out.add(
      path,
      `"${action}" is not allowed in a trust policy: only sts:AssumeRole*, sts:TagSession, sts:SetSourceIdentity and sts:SetContext`,
    );
  }
}

function parsePrincipal(
  value: unknown,
  path: string,
  out: Collector,
): PrincipalElement | undefined {
  if (value === '*') return '*';
  if (!isRecord(value)) {
    out.add(path, `must be "*" or an object such as {"AWS": "arn:…"}, got ${describe(value)}`);
    return undefined;
  }
  const element: Partial<Record<PrincipalType, string[]>> = {};
  let ok = true;
  const keys = Object.keys(value);
  if (keys.length === 0) {
    out.add(path, 'must name at least one principal');
    return undefined;
  }
  for (const key of keys) {
    const keyPath = `${path}.${key}`;
    if (!(PRINCIPAL_TYPES as readonly string[]).includes(key)) {
      out.add(
        keyPath,
        `unknown principal type "${key}": expected one of ${PRINCIPAL_TYPES.join(', ')}`,
      );
      ok = false;
      continue;
    }
    const list = stringList(value[key], keyPath, out);
    if (!list) {
      ok = false;
      continue;
    }
    list.forEach((v, i) => {
      const itemPath = Array.isArray(value[key]) ? `${keyPath}[${i}]` : keyPath;
      if (key === 'AWS' && !AWS_PRINCIPAL.test(v)) {
        out.add(
          itemPath,
          `"${v}" is not an AWS principal: expected "*", an account id, or an IAM/STS ARN`,
        );
        ok = false;
      }
      if (key === 'Service' && !SERVICE_PRINCIPAL.test(v)) {
        out.add(itemPath, `"${v}" is not a service principal such as "ec2.amazonaws.com"`);
        ok = false;
      }
    });
    element[key as PrincipalType] = list;
  }
  return ok ? element : undefined;
}

function parseCondition(value: unknown, path: string, out: Collector): ConditionBlock | undefined {
  if (!isRecord(value)) {
    out.add(path, `must be an object of operator → {key: values}, got ${describe(value)}`);
    return undefined;
  }
  const block: ConditionBlock = {};
  let ok = true;
  for (const [opName, keys] of Object.entries(value)) {
    const opPath = `${path}.${opName}`;
    const operator = parseConditionOperator(opName);
    if (!operator) {
      out.add(opPath, `unknown condition operator "${opName}"`);
      ok = false;
      continue;
    }
    if (!isRecord(keys) || Object.keys(keys).length === 0) {
      out.add(
        opPath,
        `must be a non-empty object of condition key → values, got ${describe(keys)}`,
      );
      ok = false;
      continue;
    }
    const entries: Record<string, string[]> = {};
    for (const [key, raw] of Object.entries(keys)) {
      const keyPath = `${opPath}["${key}"]`;
      if (!CONDITION_KEY.test(key)) {
        out.add(
          keyPath,
          `"${key}" is not a condition key: expected "prefix:name", e.g. "aws:SourceIp"`,
        );
        ok = false;
        continue;
      }
      const items = Array.isArray(raw) ? raw : [raw];
      if (items.length === 0) {
        out.add(keyPath, 'must list at least one value');
        ok = false;
        continue;
      }
      const values: string[] = [];
      items.forEach((item, i) => {
        const itemPath = Array.isArray(raw) ? `${keyPath}[${i}]` : keyPath;
        if (typeof item === 'string' || typeof item === 'boolean' || typeof item === 'number') {
          const text = String(item);
          const typeProblem = conditionValueProblem(operator.type, text);
          const problem =
            hasVariables(text) && operator.type !== 'String' && operator.type !== 'Arn'
              ? `policy variables are only allowed with String and Arn operators, not ${opName}`
              : typeProblem
                ? `${typeProblem} (required by ${opName})`
                : variableProblem(text);
          if (problem) {
            out.add(itemPath, problem);
            ok = false;
          } else values.push(text);
        } else {
          out.add(itemPath, `must be a string, number or boolean, got ${describe(item)}`);
          ok = false;
        }
      });
      entries[key] = values;
    }
    block[opName] = entries;
  }
  return ok ? block : undefined;
}

function parseStatement(
  raw: unknown,
  path: string,
  kind: PolicyKind,
  out: Collector,
): Statement | undefined {
  if (!isRecord(raw)) {
    out.add(path, `must be an object, got ${describe(raw)}`);
    return undefined;
  }
  const before = out.problems.length;
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_KEYS.has(key)) out.add(`${path}.${key}`, `unknown statement element "${key}"`);
  }
  const statement: Partial<Statement> = {};
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid === 'string') statement.Sid = raw.Sid;
    else out.add(`${path}.Sid`, `must be a string, got ${describe(raw.Sid)}`);
  }
  if (raw.Effect === 'Allow' || raw.Effect === 'Deny') statement.Effect = raw.Effect;
  else if (raw.Effect === undefined) out.add(`${path}.Effect`, 'is required ("Allow" or "Deny")');
  else out.add(`${path}.Effect`, `must be "Allow" or "Deny", got ${describe(raw.Effect)}`);

  // Action / NotAction: exactly one.
  if (raw.Action !== undefined && raw.NotAction !== undefined) {
    out.add(path, 'has both Action and NotAction; use exactly one');
  } else if (raw.Action === undefined && raw.NotAction === undefined) {
    out.add(`${path}.Action`, 'is required (or NotAction)');
  }
  for (const el of ['Action', 'NotAction'] as const) {
    if (raw[el] === undefined) continue;
    const list = stringList(raw[el], `${path}.${el}`, out);
    if (!list) continue;
    list.forEach((a, i) =>
      checkAction(a, kind, Array.isArray(raw[el]) ? `${path}.${el}[${i}]` : `${path}.${el}`, out),
    );
    statement[el] = list;
  }

  // Resource / NotResource.
  if (raw.Resource !== undefined && raw.NotResource !== undefined) {
    out.add(path, 'has both Resource and NotResource; use exactly one');
  } else if (kind === 'trust') {
    for (const el of ['Resource', 'NotResource'] as const) {
      if (raw[el] !== undefined) out.add(`${path}.${el}`, `is not allowed in a trust policy`);
    }
  } else if (raw.Resource === undefined && raw.NotResource === undefined) {
    out.add(`${path}.Resource`, 'is required (or NotResource)');
  }
  for (const el of ['Resource', 'NotResource'] as const) {
    if (raw[el] === undefined || kind === 'trust') continue;
    const list = stringList(raw[el], `${path}.${el}`, out);
    if (!list) continue;
    list.forEach((r, i) => {
      const p = Array.isArray(raw[el]) ? `${path}.${el}[${i}]` : `${path}.${el}`;
      const problem = arnProblem(r) ?? variableProblem(r) ?? resourceVariableProblem(r);
      if (problem) out.add(p, problem);
    });
    statement[el] = list;
  }

  // Principal / NotPrincipal.
  if (kind === 'identity') {
    for (const el of ['Principal', 'NotPrincipal'] as const) {
      if (raw[el] !== undefined) {
        out.add(
          `${path}.${el}`,
          `is not allowed in an identity policy (it is implied by the attachment)`,
        );
      }
    }
  } else if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) {
    out.add(path, 'has both Principal and NotPrincipal; use exactly one');
  } else if (raw.Principal === undefined && raw.NotPrincipal === undefined) {
    out.add(`${path}.Principal`, `is required in a ${kind} policy (or NotPrincipal)`);
  } else {
    for (const el of ['Principal', 'NotPrincipal'] as const) {
      if (raw[el] === undefined) continue;
      const element = parsePrincipal(raw[el], `${path}.${el}`, out);
      if (element) statement[el] = element;
    }
  }

  if (raw.Condition !== undefined) {
    const block = parseCondition(raw.Condition, `${path}.Condition`, out);
    if (block) statement.Condition = block;
  }
  return out.problems.length === before ? (statement as Statement) : undefined;
}

/**
 * Parses and validates a policy document of the given kind. Accepts JSON text or an already
 * parsed value. Every problem names its place in the document (e.g.
 * `Statement[1].Condition.NumericLessThan["aws:MultiFactorAuthAge"]`).
 */
export function parsePolicy(input: unknown, kind: PolicyKind): ParseResult {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (error) {
      return {
        ok: false,
        problems: [{ path: '', message: `not valid JSON: ${(error as Error).message}` }],
      };
    }
  }
  const out = new Collector();
  if (!isRecord(value)) {
    out.add('', `a policy must be a JSON object, got ${describe(value)}`);
    return { ok: false, problems: out.problems };
  }
  for (const key of Object.keys(value)) {
    if (!TOP_KEYS.has(key)) out.add(key, `unknown policy element "${key}"`);
  }
  let version: PolicyDocument['Version'] = '2008-10-17';
  if (value.Version !== undefined) {
    if (typeof value.Version === 'string' && VERSIONS.has(value.Version)) {
      version = value.Version as PolicyDocument['Version'];
    } else {
      out.add('Version', `must be "2012-10-17" or "2008-10-17", got ${describe(value.Version)}`);
    }
  }
  if (value.Id !== undefined && typeof value.Id !== 'string') {
    out.add('Id', `must be a string, got ${describe(value.Id)}`);
  }
  const statements: Statement[] = [];
  if (value.Statement === undefined) {
    out.add('Statement', 'is required');
  } else if (Array.isArray(value.Statement) || isRecord(value.Statement)) {
    const list: unknown[] = Array.isArray(value.Statement) ? value.Statement : [value.Statement];
    if (list.length === 0) out.add('Statement', 'must contain at least one statement');
    const sids = new Map<string, number>();
    list.forEach((raw, i) => {
      const path = Array.isArray(value.Statement) ? `Statement[${i}]` : 'Statement';
      const statement = parseStatement(raw, path, kind, out);
      if (!statement) return;
      if (statement.Sid !== undefined && statement.Sid !== '') {
        const first = sids.get(statement.Sid);
        if (first !== undefined) {
          out.add(`${path}.Sid`, `duplicate Sid "${statement.Sid}" (also Statement[${first}])`);
        } else sids.set(statement.Sid, i);
      }
      statements.push(statement);
    });
  } else {
    out.add(
      'Statement',
      `must be an object or an array of objects, got ${describe(value.Statement)}`,
    );
  }
  if (out.problems.length > 0) return { ok: false, problems: out.problems };
  const policy: PolicyDocument = { Version: version, Statement: statements };
  if (typeof value.Id === 'string') policy.Id = value.Id;
  return { ok: true, policy };
}
