/**
 * kinesalite has one flat stream namespace; AWS has one per account and region. Each
 * (account, region) gets a short fixed prefix on kinesalite's side, and names, ARNs and
 * messages are rewritten both ways so callers only ever see their own names and ARNs.
 */
import { createHash } from 'node:crypto';

/** Longest stream name AWS accepts. */
const AWS_MAX_NAME = 128;
const PREFIX_LENGTH = 9;

/** Longest name a caller may use: kinesalite also caps names at 128, prefix included. */
export const MAX_STREAM_NAME = AWS_MAX_NAME - PREFIX_LENGTH;

export interface StreamScope {
  accountId: string;
  region: string;
}

export interface StreamNamespace extends StreamScope {
  /** Prefix of this scope's streams inside kinesalite (`[0-9a-f]{8}.`). */
  readonly prefix: string;
  toInternal(name: string): string;
  /** The caller-facing name, or undefined when `internal` is not in this scope. */
  toExternal(internal: string): string | undefined;
  arn(name: string): string;
  /** Rewrites kinesalite's names, ARNs and account id inside free text (error messages). */
  rewriteText(text: string): string;
}

export function streamNamespace(scope: StreamScope): StreamNamespace {
  const prefix = `${createHash('sha256')
    .update(`${scope.accountId}:${scope.region}`)
    .digest('hex')
    .slice(0, PREFIX_LENGTH - 1)}.`;
  const arn = (name: string): string =>
    `arn:aws:kinesis:${scope.region}:${scope.accountId}:stream/${name}`;
  return {
    ...scope,
    prefix,
    toInternal: (name) => `${prefix}${name}`,
    toExternal: (internal) =>
      internal.startsWith(prefix) ? internal.slice(prefix.length) : undefined,
    arn,
    rewriteText: (text) =>
      text
        .replace(
          new RegExp(`arn:aws:kinesis:[a-z0-9-]+:\\d{12}:stream/${escapeRegExp(prefix)}`, 'g'),
          `arn:aws:kinesis:${scope.region}:${scope.accountId}:stream/`,
        )
        .split(prefix)
        .join('')
        .replace(/under account \d{12}/g, `under account ${scope.accountId}`),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses `arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`. */
export function parseStreamArn(arn: string): (StreamScope & { name: string }) | undefined {
  const match = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream\/([a-zA-Z0-9_.-]+)$/.exec(
    arn,
  );
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { region: match[1], accountId: match[2], name: match[3] };
}
