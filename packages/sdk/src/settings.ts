/**
 * Where the control plane is and who the caller is: explicit options first, then the
 * environment (`FERRY_URL`, `FERRY_TOKEN` or `FERRY_CLIENT_ID` + `FERRY_CLIENT_SECRET`,
 * `FERRY_WORKSPACE`).
 */
import { FerryAuthError } from './errors.ts';

/** How the SDK reaches and authenticates to the control plane. */
export interface FerryConnectionOptions {
  /** The control plane's URL (default: `FERRY_URL`). */
  url?: string;
  /** A personal access token (default: `FERRY_TOKEN`). */
  token?: string;
  /** A service account's client id (default: `FERRY_CLIENT_ID`). */
  clientId?: string;
  /** A service account's client secret (default: `FERRY_CLIENT_SECRET`). */
  clientSecret?: string;
  /** The workspace, by name or id (default: `FERRY_WORKSPACE`). */
  workspace?: string;
}

/** Resolved settings. */
export interface FerrySettings {
  readonly url: string;
  readonly credentials:
    | { readonly kind: 'token'; readonly token: string }
    | { readonly kind: 'client'; readonly clientId: string; readonly clientSecret: string };
  readonly workspace: string | undefined;
}

const envOf = (name: string, env: NodeJS.ProcessEnv): string | undefined => {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
};

/** Resolves options against the environment; throws naming what is missing. */
export function resolveSettings(
  options: FerryConnectionOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): FerrySettings {
  const url = options.url ?? envOf('FERRY_URL', env);
  if (url === undefined) {
    throw new FerryAuthError(
      'missing_url',
      'No control plane URL: pass `url` or set FERRY_URL (e.g. https://ferry.example.com).',
    );
  }
  try {
    new URL(url);
  } catch {
    throw new FerryAuthError('invalid_url', `url (FERRY_URL) is not a URL: ${JSON.stringify(url)}`);
  }
  const token = options.token ?? envOf('FERRY_TOKEN', env);
  const clientId = options.clientId ?? envOf('FERRY_CLIENT_ID', env);
  const clientSecret = options.clientSecret ?? envOf('FERRY_CLIENT_SECRET', env);
  const workspace = options.workspace ?? envOf('FERRY_WORKSPACE', env);
  if (token !== undefined) return { url, credentials: { kind: 'token', token }, workspace };
  if (clientId !== undefined && clientSecret !== undefined) {
    return { url, credentials: { kind: 'client', clientId, clientSecret }, workspace };
  }
  if (clientId !== undefined || clientSecret !== undefined) {
    throw new FerryAuthError(
      'missing_credentials',
      `${clientId === undefined ? 'clientId (FERRY_CLIENT_ID)' : 'clientSecret (FERRY_CLIENT_SECRET)'} is missing: a service account needs both.`,
    );
  }
  throw new FerryAuthError(
    'missing_credentials',
    'No credentials: pass `token` or set FERRY_TOKEN (a personal access token), or set FERRY_CLIENT_ID and FERRY_CLIENT_SECRET (a service account).',
  );
}
