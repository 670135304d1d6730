/**
 * The structured logger. Secrets never reach the output: known secret fields are redacted
 * by path, and known secret values (the configured keys) and AWS key ids are scrubbed from
 * every line before it is written, wherever they appear.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config-schema.ts';

/** Field paths whose values are replaced with `[Redacted]`. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-amz-security-token"]',
  'req.headers["x-ferry-node-token"]',
  'headers["x-ferry-node-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...[
    'password',
    'newPassword',
    'secret',
    'clientSecret',
    'token',
    'accessToken',
    'refreshToken',
    'sessionToken',
    'secretAccessKey',
    'SecretAccessKey',
    'SessionToken',
    'secretsKey',
    'previousSecretsKeys',
    'apiKey',
    'cookie',
    'authorization',
    'setupToken',
    'bootstrapToken',
    'nodeToken',
  ].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'database.url',
  '*.database.url',
];

/** AWS access key ids (long-term and temporary). */
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;
/** Bearer credentials in free text. */
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** Worker nodes' bootstrap and node tokens in free text. */
const NODE_TOKEN = /\bferry_(boot|node)_[A-Za-z0-9_-]+/g;
/** Passwords inside connection strings. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  /** Secret values to scrub from every line (e.g. the secrets key, AWS secret key). */
  secrets?: readonly (string | undefined)[];
  /** Where lines go (default: stdout). */
  destination?: DestinationStream;
}

/** Replaces every secret occurrence in a serialized log line. */
export function scrubSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) out = out.split(s).join('[Redacted]');
  return out
    .replace(AWS_KEY_ID, '[Redacted]')
    .replace(BEARER, '$1 [Redacted]')
    .replace(NODE_TOKEN, 'ferry_$1_[Redacted]')
    .replace(URL_PASSWORD, '$1[Redacted]@');
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions): Logger {
  // Short values would redact innocent text; real secrets are long.
  const secrets = (options.secrets ?? []).filter((s): s is string => !!s && s.length >= 8);
  // JSON-escaped forms too, in case a secret has characters JSON escapes.
  const needles = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      hooks: { streamWrite: (line) => scrubSecrets(line, needles) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
