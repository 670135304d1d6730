/**
 * The structured logger. Secrets never reach the output: known secret fields are redacted
 * by path, logged URLs lose their query values, and known secret values (the configured
 * keys), every ferry token family (by prefix) and AWS key ids are scrubbed from every line
 * before it is written, wherever they appear.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config-schema.ts';
import { SECRET_PREFIXES } from '../identity/secret-token.ts';

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
/** Every ferry token family by its prefix, wherever it appears. */
const FERRY_TOKEN = new RegExp(
  `(${Object.values(SECRET_PREFIXES).join('|')})(?!\\[Redacted\\])[A-Za-z0-9_-]+`,
  'g',
);
/**
 * A token of a family this list does not know yet: `ferry_<word>_` and a long random tail
 * (which, unlike metric names, has capitals or digits).
 */
const UNKNOWN_FERRY_TOKEN =
  /\b(ferry_[a-z]+_)(?=[A-Za-z0-9_-]{20})(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]+/g;
/** Passwords inside connection strings. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi;

/**
 * A URL as logged: the query's values are replaced (one-time links carry their token
 * there), its parameter names kept.
 */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? part : `${part.slice(0, eq)}=[Redacted]`;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, with the query string redacted. */
function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

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
    .replace(FERRY_TOKEN, '$1[Redacted]')
    .replace(UNKNOWN_FERRY_TOKEN, '$1[Redacted]')
    .replace(URL_PASSWORD, '$1[Redacted]@');
}

/** The secret values a logger scrubs; child loggers inherit it through their prototype. */
const NEEDLES = Symbol('ferry.log.needles');

/** A secret and its JSON-escaped form (short values would redact innocent text). */
function needlesOf(secrets: readonly (string | undefined)[]): string[] {
  return secrets
    .filter((s): s is string => !!s && s.length >= 8)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
}

/**
 * Teaches the logger a secret learned at run time (e.g. a connection's access key, once
 * decrypted): no later line holds it, whichever child logger writes it.
 */
export function addLogSecret(log: Logger, secret: string): void {
  const needles = (log as unknown as Record<symbol, Set<string> | undefined>)[NEEDLES];
  for (const n of needlesOf([secret])) needles?.add(n);
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions): Logger {
  const needles = new Set(needlesOf(options.secrets ?? []));
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      serializers: { req: serializeRequest },
      hooks: { streamWrite: (line) => scrubSecrets(line, [...needles]) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  Object.defineProperty(logger, NEEDLES, { value: needles });
  return logger;
}
