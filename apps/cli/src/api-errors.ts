/**
 * API errors in the user's words: a field is named by the flag that set it (`--memory`, not
 * `body.memory`), each thing is said once, and every message ends with what to do next.
 */
import type { FerryApiError } from '@ferry/api';
import { exitForStatus } from './exit-codes.ts';

/** API fields whose flag is not their kebab-case name. */
const FIELD_FLAGS: Readonly<Record<string, string>> = {
  idleTimeoutMins: '--idle-timeout',
  labels: '--label',
  allowedClientCidr: '--allowed-client-cidr',
  workerBuckets: '--worker-buckets',
  network: '--network',
  vpcId: '--vpc',
  subnetIds: '--subnets',
  scopes: '--scope',
  expiresInDays: '--expires-in-days',
  instanceId: '--instance',
  workspaceId: '--workspace',
};

/** Where the token of a request came from, to say which one was refused. */
export interface RequestOrigin {
  /** e.g. `--token`, `FERRY_TOKEN`, `profile "default"`; undefined: none was sent. */
  tokenSource?: string;
  /** The profile to name in `ferry login --profile …` advice. */
  profile?: string;
  /** Overrides of FIELD_FLAGS for one command. */
  fields?: Readonly<Record<string, string>>;
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `body.idleTimeoutMins` → `--idle-timeout`; `params.clusterId` → `<clusterId>`. */
export function flagOf(path: string, fields: Readonly<Record<string, string>> = {}): string {
  const [part, ...rest] = path.split('.');
  if (rest.length === 0) return path;
  if (part === 'params') return `<${rest[0]}>`;
  if (part !== 'body' && part !== 'query') return path;
  // The innermost named key (not an array index) is the flag's: network.vpcId → --vpc.
  const key = [...rest].reverse().find((k) => !/^\d+$/.test(k) && (fields[k] ?? FIELD_FLAGS[k]));
  if (key !== undefined) return fields[key] ?? FIELD_FLAGS[key]!;
  return `--${kebab(rest[0]!)}`;
}

function loginAdvice(origin: RequestOrigin): string {
  const profile =
    origin.profile !== undefined && origin.profile !== 'default'
      ? ` --profile ${origin.profile}`
      : '';
  return `run \`ferry login${profile}\``;
}

/** The lines to print for an API error (each starting `ferry: `) and the exit code. */
export function describeApiError(
  error: FerryApiError,
  origin: RequestOrigin = {},
): { text: string; exit: number } {
  const exit = exitForStatus(error.status);
  const lines: string[] = [];
  if (error.status === 401) {
    lines.push(
      origin.tokenSource === undefined
        ? `not signed in: ${loginAdvice(origin)}, or pass --token (or set FERRY_TOKEN)`
        : `the control plane refused the token from ${origin.tokenSource} (unknown, expired or revoked): ${loginAdvice(origin)} to get a new one`,
    );
  } else if (error.details.length > 0) {
    for (const d of error.details) lines.push(`${flagOf(d.path, origin.fields)}: ${d.message}`);
  } else if (error.status === 403) {
    lines.push(
      `not allowed: ${error.message} Ask an admin of the organization or workspace for the role, or use a token with that scope.`,
    );
  } else if (error.status === 429) {
    lines.push(`${error.message} Wait a moment and try again.`);
  } else if (
    error.status >= 500 ||
    error.code === 'invalid_response' ||
    error.code === 'http_error'
  ) {
    lines.push(
      `the control plane failed (${error.code}, ${error.status}): ${error.message}${error.requestId !== undefined ? ` Quote request id ${error.requestId} to its operator.` : ''}`,
    );
  } else {
    lines.push(error.message);
  }
  return { text: lines.map((l) => `ferry: ${l}\n`).join(''), exit };
}
