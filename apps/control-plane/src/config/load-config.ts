/**
 * Resolves the configuration in layers — flags, then environment, then the config file,
 * then defaults — and validates every setting, failing with messages that name the
 * setting as the user wrote it (`FERRY_LISTEN_PORT: expected an integer 0-65535, got 'abc'`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SETTINGS, type Config, type SettingSpec } from './config-schema.ts';

/** Command-line values (already split by the CLI); strings as typed by the user. */
export interface ConfigFlags {
  /** `host:port`, `:port`, a bare port or `host` — shorthand for listenHost/listenPort. */
  listen?: string;
  listenHost?: string;
  listenPort?: string | number;
  publicUrl?: string;
  databaseUrl?: string;
  dataDir?: string;
  awsRegion?: string;
  awsEndpointUrl?: string;
  awsRoleArn?: string;
  awsPrincipalArn?: string;
  logLevel?: string;
  /** Path of a JSON config file. */
  config?: string;
}

/** Inputs of {@link loadConfig}. */
export interface LoadConfigInput {
  flags?: ConfigFlags;
  env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths (default: the process's working directory). */
  cwd?: string;
}

/** One or more settings are invalid; `issues` lists each with the setting named. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

type Source = { value: unknown; label: string; fromString: boolean };

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function show(value: unknown, spec: SettingSpec): string {
  if (spec.secret) return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return `, got '${s.length > 80 ? `${s.slice(0, 80)}…` : s}'`;
}

function fromString(raw: string, spec: SettingSpec): unknown {
  const s = raw.trim();
  switch (spec.kind) {
    case 'int':
      return /^[+-]?\d+$/.test(s) ? Number(s) : s;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(s)) return true;
      if (/^(false|0|no|off)$/i.test(s)) return false;
      return s;
    case 'list':
      return s === '' ? [] : s.split(',').map((x) => x.trim());
    case 'string':
      return s;
  }
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    cur[k] ??= {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys.at(-1) ?? path] = value;
}

/** Lists keys of the file that match no setting, as dotted paths. */
function unknownFileKeys(file: unknown, prefix = ''): string[] {
  if (file === null || typeof file !== 'object' || Array.isArray(file)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(file)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (SETTINGS.some((s) => s.path === path || s.formerly?.path === path)) continue;
    if (SETTINGS.some((s) => s.path.startsWith(`${path}.`))) out.push(...unknownFileKeys(v, path));
    else out.push(path);
  }
  return out;
}

function readFile(path: string, issues: string[]): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    issues.push(`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      issues.push(`--config: ${path} must hold a JSON object`);
      return undefined;
    }
    return parsed;
  } catch (err) {
    issues.push(`--config: ${path} is not valid JSON (${(err as Error).message})`);
    return undefined;
  }
}

function splitListen(listen: string, issues: string[]): { host?: string; port?: string } {
  // A bare number is a port (`--listen 8081`), never a host name.
  if (/^\d+$/.test(listen.trim())) return { port: listen.trim() };
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(.*))?$/.exec(listen.trim());
  const host = m?.[1] ?? m?.[2];
  if (!m || (host === '' && m[3] === undefined)) {
    issues.push(`--listen: expected host:port, :port or host, got '${listen}'`);
    return {};
  }
  return { ...(host ? { host } : {}), ...(m[3] !== undefined ? { port: m[3] } : {}) };
}

/** Resolves and validates the configuration; throws {@link ConfigError} listing every problem. */
export function loadConfig(input: LoadConfigInput = {}): Config {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const flags: Record<string, unknown> = { ...input.flags };
  const issues: string[] = [];

  /** Flags set through a shorthand are reported under the flag the user typed. */
  const flagLabels: Record<string, string> = {};
  if (typeof flags['listen'] === 'string') {
    const { host, port } = splitListen(flags['listen'], issues);
    if (host !== undefined && flags['listenHost'] === undefined) {
      flags['listenHost'] = host;
      flagLabels['listenHost'] = '--listen';
    }
    if (port !== undefined && flags['listenPort'] === undefined) {
      flags['listenPort'] = port;
      flagLabels['listenPort'] = '--listen';
    }
  }

  const filePath = (flags['config'] as string | undefined) ?? env['FERRY_CONFIG'];
  const fileLabel = filePath ? resolve(cwd, filePath) : undefined;
  const file = fileLabel ? readFile(fileLabel, issues) : undefined;
  for (const k of unknownFileKeys(file)) issues.push(`${filePath} ${k}: unknown setting`);

  const out: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const flagValue = spec.flag ? flags[spec.flag] : undefined;
    const envName =
      spec.formerly && !env[spec.env] && env[spec.formerly.env] ? spec.formerly.env : spec.env;
    const envValue = env[envName];
    const keyPath =
      spec.formerly && getPath(file, spec.path) === undefined ? spec.formerly.path : spec.path;
    const fileValue = getPath(file, keyPath);
    let source: Source | undefined;
    if (flagValue !== undefined && spec.flag) {
      source = {
        value: typeof flagValue === 'string' ? fromString(flagValue, spec) : flagValue,
        label: flagLabels[spec.flag] ?? flagName(spec.flag),
        fromString: typeof flagValue === 'string',
      };
    } else if (envValue !== undefined && envValue !== '') {
      source = { value: fromString(envValue, spec), label: envName, fromString: true };
    } else if (fileValue !== undefined) {
      source = { value: fileValue, label: `${filePath} ${keyPath}`, fromString: false };
    }
    if (!source) {
      setPath(out, spec.path, spec.default);
      continue;
    }
    const parsed = spec.schema.safeParse(source.value);
    if (parsed.success) {
      setPath(out, spec.path, parsed.data);
    } else {
      const message = parsed.error.issues[0]?.message ?? 'invalid value';
      const raw = source.fromString ? (flagValue ?? envValue) : source.value;
      issues.push(`${source.label}: ${message}${show(raw, spec)}`);
    }
  }

  const cfg = out as unknown as Config;
  if (issues.length === 0) {
    if (cfg.aws.secretAccessKey && !cfg.aws.accessKeyId) {
      issues.push('FERRY_AWS_ACCESS_KEY_ID: required when FERRY_AWS_SECRET_ACCESS_KEY is set');
    }
    if (cfg.aws.accessKeyId && !cfg.aws.secretAccessKey) {
      issues.push('FERRY_AWS_SECRET_ACCESS_KEY: required when FERRY_AWS_ACCESS_KEY_ID is set');
    }
    if (cfg.database.url && !cfg.secretsKey) {
      issues.push(
        'FERRY_SECRETS_KEY: required with DATABASE_URL (32 random bytes in base64, the same on every replica)',
      );
    }
  }
  if (issues.length) throw new ConfigError(issues);

  cfg.database.dataDir = resolve(cwd, cfg.database.dataDir);
  cfg.publicUrl = (
    cfg.publicUrl ??
    `http://${cfg.listen.host.includes(':') ? `[${cfg.listen.host}]` : cfg.listen.host}:${cfg.listen.port}`
  ).replace(/\/+$/, '');
  return cfg;
}
