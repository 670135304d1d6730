/**
 * Plan safety: what a plan may do before any worker runs it. Checked by the SDK before
 * sending (so the user hears it at once) and again by the worker (the only check that
 * counts). A serialized polars plan (`lf.serialize('json')`, nodejs-polars 0.26) stores:
 *
 * - scan sources as `"sources": {"Paths": [{"inner": "s3://…"}]}`;
 * - file sinks as `"payload": {"File": {"target": {"inner": "s3://…"}, …}}`;
 * - cloud options as `"cloud_options": {"config": {"Aws": [["AccessKeyId", "…"], …]},
 *   "credential_provider": …}` (in plain text, on every scan and on the sink), or `null`;
 * - in-memory frames as `"DataFrameScan": {"df": [<IPC bytes as numbers>], …}`.
 *
 * The walk refuses credentials in any `cloud_options` (the cluster reads with its own
 * role), every location that is not `s3://` (a local path would read the worker's own
 * files), source kinds it does not know, and in-memory frames above a size limit.
 */
import { sqlConnectionCalls } from './sql-connections.ts';

export const PLAN_VIOLATION_CODES = [
  'malformed_plan',
  'credentials_in_plan',
  'local_path',
  'non_s3_location',
  'unsupported_source',
  'unsupported_storage',
  'in_memory_frame_too_large',
  'malformed_connection_call',
  'path_outside_connection',
] as const;
export type PlanViolationCode = (typeof PLAN_VIOLATION_CODES)[number];

/** One reason a plan is refused; `path` locates it in the plan's JSON (`$.Scan.sources…`). */
export interface PlanViolation {
  readonly code: PlanViolationCode;
  readonly path: string;
  readonly message: string;
}

/** In-memory frames embedded in a plan above this many bytes are refused (default). */
export const DEFAULT_MAX_IN_MEMORY_BYTES = 1024 * 1024;

export interface PlanSafetyOptions {
  readonly maxInMemoryBytes?: number;
}

/** Polars' AWS config keys that carry or fetch credentials, and the option a user wrote. */
const CREDENTIAL_KEY = /AccessKey|Secret|Token|Credential|Role|Profile|WebIdentity|Metadata|Imds/i;

/** `AccessKeyId` → `aws_access_key_id` (the name the user passed as a cloud option). */
function optionName(key: string): string {
  if (key === 'Token') return 'aws_session_token';
  return `aws_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/** A location check: null when it is an `s3://` location. */
export function checkLocation(uri: string, path: string): PlanViolation | null {
  if (/^s3:\/\/[^/\s]+/.test(uri)) return null;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file')
    return {
      code: 'local_path',
      path,
      message: `${JSON.stringify(uri)} is a local path; a query may only read and write s3:// locations (a local path would be the worker's own disk)`,
    };
  return {
    code: 'non_s3_location',
    path,
    message: `${JSON.stringify(uri)} is not an s3:// location; a query may only read and write s3:// locations`,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rough byte size of a serialized in-memory frame (its IPC bytes as a JSON number array). */
function frameBytes(df: unknown): number {
  if (Array.isArray(df)) return df.length;
  if (typeof df === 'string') return df.length;
  return JSON.stringify(df ?? null).length;
}

function checkCloudOptions(value: unknown, path: string, out: PlanViolation[]): void {
  if (value === null || value === undefined) return;
  if (!isRecord(value)) {
    out.push({ code: 'malformed_plan', path, message: 'cloud_options must be an object or null' });
    return;
  }
  if (value.credential_provider !== null && value.credential_provider !== undefined)
    out.push({
      code: 'credentials_in_plan',
      path: `${path}.credential_provider`,
      message:
        'the plan carries a credential provider; remove it: the cluster reads and writes S3 with its own role',
    });
  const config = value.config;
  if (config === null || config === undefined) return;
  if (!isRecord(config)) {
    out.push({ code: 'malformed_plan', path: `${path}.config`, message: 'must be an object' });
    return;
  }
  for (const [store, entries] of Object.entries(config)) {
    if (store !== 'Aws') {
      out.push({
        code: 'unsupported_storage',
        path: `${path}.config.${store}`,
        message: `cloud options for ${store} are not supported; a query may only use s3:// locations`,
      });
      continue;
    }
    if (!Array.isArray(entries)) {
      out.push({ code: 'malformed_plan', path: `${path}.config.Aws`, message: 'must be a list' });
      continue;
    }
    entries.forEach((entry, i) => {
      const key: unknown = Array.isArray(entry) ? entry[0] : undefined;
      const name =
        typeof key === 'string'
          ? key
          : isRecord(key) && typeof Object.values(key)[0] === 'string'
            ? (Object.values(key)[0] as string)
            : '';
      if (CREDENTIAL_KEY.test(name))
        out.push({
          code: 'credentials_in_plan',
          path: `${path}.config.Aws[${i}]`,
          message: `the plan carries the cloud option ${optionName(name)}; remove it: the cluster reads and writes S3 with its own role, and credentials in a plan travel in plain text`,
        });
    });
  }
}

function checkSources(value: unknown, path: string, out: PlanViolation[]): void {
  if (!isRecord(value)) {
    out.push({ code: 'malformed_plan', path, message: 'sources must be an object' });
    return;
  }
  for (const [kind, list] of Object.entries(value)) {
    if (kind !== 'Paths') {
      out.push({
        code: 'unsupported_source',
        path: `${path}.${kind}`,
        message: `a scan over ${kind} is not supported; scan s3:// paths`,
      });
      continue;
    }
    if (!Array.isArray(list)) {
      out.push({ code: 'malformed_plan', path: `${path}.Paths`, message: 'must be a list' });
      continue;
    }
    list.forEach((p, i) => checkPathObject(p, `${path}.Paths[${i}]`, out));
  }
}

function checkPathObject(p: unknown, path: string, out: PlanViolation[]): void {
  const uri = isRecord(p) ? p.inner : p;
  if (typeof uri !== 'string') {
    out.push({ code: 'malformed_plan', path, message: 'a location must be a string' });
    return;
  }
  const v = checkLocation(uri, path);
  if (v) out.push(v);
}

function walk(node: unknown, path: string, max: number, out: PlanViolation[]): void {
  if (Array.isArray(node)) {
    // Long number arrays are frame bytes: nothing to look for inside them.
    if (node.length > 0 && typeof node[0] === 'number') return;
    node.forEach((child, i) => walk(child, `${path}[${i}]`, max, out));
    return;
  }
  if (!isRecord(node)) return;
  for (const [key, child] of Object.entries(node)) {
    const childPath = `${path}.${key}`;
    if (key === 'cloud_options') checkCloudOptions(child, childPath, out);
    else if (key === 'sources') checkSources(child, childPath, out);
    else if ((key === 'target' || key === 'base_path') && child !== null)
      checkPathObject(child, childPath, out);
    else if (key === 'DataFrameScan' && isRecord(child)) {
      const bytes = frameBytes(child.df);
      if (bytes > max)
        out.push({
          code: 'in_memory_frame_too_large',
          path: `${childPath}.df`,
          message: `the plan embeds an in-memory frame of about ${bytes} bytes (limit ${max}); write it to S3 and scan it there`,
        });
    }
    walk(child, childPath, max, out);
  }
}

/** Parses plan text; a violation (not a throw) when it is not JSON. */
export function parsePlanText(text: string): { plan: unknown } | { violation: PlanViolation } {
  try {
    return { plan: JSON.parse(text) as unknown };
  } catch (e) {
    return {
      violation: {
        code: 'malformed_plan',
        path: '$',
        message: `the plan is not JSON (${e instanceof Error ? e.message : String(e)}); send lf.serialize('json')`,
      },
    };
  }
}

/** Every violation of a plan (parsed JSON or its text); empty when it may run. */
export function checkPlanSafety(
  plan: unknown,
  options: PlanSafetyOptions = {},
): readonly PlanViolation[] {
  let value = plan;
  if (typeof plan === 'string') {
    const parsed = parsePlanText(plan);
    if ('violation' in parsed) return [parsed.violation];
    value = parsed.plan;
  }
  if (!isRecord(value))
    return [{ code: 'malformed_plan', path: '$', message: 'the plan must be a JSON object' }];
  const out: PlanViolation[] = [];
  walk(value, '$', options.maxInMemoryBytes ?? DEFAULT_MAX_IN_MEMORY_BYTES, out);
  return out;
}

/**
 * The file locations a SQL text names in table functions (`read_parquet('…')`, `read_csv`,
 * …), found by a small tokenizer that skips comments and quoted identifiers, so
 * `read_parquet(/* … *\/ '/etc/passwd')` is still caught. polars resolves these while
 * planning (it contacts the source), so the worker checks them before planning and walks
 * the planned result again.
 */
export function sqlTableFunctionLocations(sql: string): readonly string[] {
  type Tok = { kind: 'word' | 'string' | 'punct'; text: string };
  const toks: Tok[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (c === '-' && sql.charAt(i + 1) === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && sql.charAt(i + 1) === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let text = '';
      let j = i + 1;
      while (j < sql.length) {
        if (sql.charAt(j) === c) {
          if (sql.charAt(j + 1) === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += sql.charAt(j);
        j += 1;
      }
      toks.push({ kind: c === "'" ? 'string' : 'word', text });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql.charAt(j))) j += 1;
      toks.push({ kind: 'word', text: sql.slice(i, j) });
      i = j;
    } else if (/\s/.test(c)) {
      i += 1;
    } else {
      toks.push({ kind: 'punct', text: c });
      i += 1;
    }
  }
  const out: string[] = [];
  for (let t = 0; t < toks.length; t++) {
    const tok = toks[t];
    if (tok?.kind !== 'word' || !/^read_/i.test(tok.text) || toks[t + 1]?.text !== '(') continue;
    let depth = 0;
    for (let u = t + 1; u < toks.length; u++) {
      const x = toks[u];
      if (x === undefined) break;
      if (x.kind === 'punct' && x.text === '(') depth += 1;
      else if (x.kind === 'punct' && x.text === ')') {
        depth -= 1;
        if (depth === 0) break;
      } else if (x.kind === 'string') {
        // The first string argument is the location; later ones are options.
        out.push(x.text);
        break;
      }
    }
  }
  return out;
}

/** Every violation of a SQL text's table-function locations; empty when it may be planned. */
export function checkSqlSafety(sql: string): readonly PlanViolation[] {
  const out: PlanViolation[] = [...sqlConnectionCalls(sql).violations];
  sqlTableFunctionLocations(sql).forEach((uri, i) => {
    const v = checkLocation(uri, `sql.location[${i}]`);
    if (v) out.push(v);
  });
  return out;
}
