/**
 * How a command reaches the control plane: the URL and token from `--url`/`--token`, else
 * FERRY_URL/FERRY_TOKEN, else the profile `ferry login` saved (`--profile`, FERRY_PROFILE);
 * the organization and workspace likewise (`--org`/FERRY_ORG, `--workspace`/FERRY_WORKSPACE).
 * Every missing setting is named at once. The token is sent, never printed.
 */
import type { Command } from 'commander';
import { createFerryClient, FerryApiError, type FerryClient } from '@ferry/api';
import { CliError, type CliContext } from './cli-command.ts';
import { describeApiError, type RequestOrigin } from './api-errors.ts';
import { EXIT } from './exit-codes.ts';
import { profileName, readProfile, type Profile } from './profiles.ts';

/** The flags of a command that talks to the control plane. */
export interface ApiFlags {
  url?: string;
  token?: string;
  profile?: string;
  org?: string;
  workspace?: string;
  json?: boolean;
}

/** A client and the ids a command works on. */
export interface ApiConnection {
  client: FerryClient;
  url: string;
  profile: string;
  origin: RequestOrigin;
  /** Set when the command asked for an organization. */
  orgId: string;
  /** Set when the command asked for a workspace. */
  workspaceId: string;
}

/** What a command needs besides the URL. */
export interface Needs {
  token?: boolean;
  org?: boolean;
  workspace?: boolean;
}

/** Adds --url, --token, --profile and --json (and --org / --workspace when needed). */
export function withApiOptions(command: Command, needs: Needs = {}): Command {
  command
    .option('--url <url>', 'control plane URL (env FERRY_URL; default: the profile’s)')
    .option(
      '--token <token>',
      'personal access token or service-account access token (env FERRY_TOKEN; default: the profile’s)',
    )
    .option('--profile <name>', 'the saved profile to use (env FERRY_PROFILE; default "default")');
  if (needs.org === true)
    command.option('--org <id>', 'organization id, org_… (env FERRY_ORG; default: the profile’s)');
  if (needs.workspace === true)
    command.option(
      '--workspace <id>',
      'workspace id, ws_… (env FERRY_WORKSPACE; default: the profile’s)',
    );
  return command.option('--json', 'print the answer as JSON (for scripts)');
}

function pick(
  flag: string | undefined,
  envName: string,
  env: CliContext['env'],
  saved: string | undefined,
  profile: string,
): { value?: string; source?: string } {
  if (flag !== undefined && flag !== '')
    return { value: flag, source: `--${envName.slice(6).toLowerCase()}` };
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: envName };
  if (saved !== undefined && saved !== '') return { value: saved, source: `profile "${profile}"` };
  return {};
}

/** Parses and checks a control plane URL given by the user. */
export function parseUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(
      'usage',
      `${source}: not a URL: '${raw}' (expected e.g. http://127.0.0.1:8080)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('usage', `${source}: expected an http(s) URL, got ${url.protocol}`);
  return url.toString().replace(/\/+$/, '');
}

/** Resolves the connection; names every missing setting in one error. */
export function resolveConnection(
  context: CliContext,
  flags: ApiFlags,
  needs: Needs = {},
): ApiConnection {
  const profile = profileName(flags.profile, context.env);
  const saved: Profile = readProfile(profile, context.env);
  const url = pick(flags.url, 'FERRY_URL', context.env, saved.url, profile);
  const token = pick(flags.token, 'FERRY_TOKEN', context.env, saved.token, profile);
  const org = pick(flags.org, 'FERRY_ORG', context.env, saved.org, profile);
  const workspace = pick(flags.workspace, 'FERRY_WORKSPACE', context.env, saved.workspace, profile);
  const missing: string[] = [];
  if (url.value === undefined) missing.push('--url (or FERRY_URL)');
  if (needs.token !== false && token.value === undefined) missing.push('--token (or FERRY_TOKEN)');
  if (needs.org === true && org.value === undefined) missing.push('--org (or FERRY_ORG)');
  if (needs.workspace === true && workspace.value === undefined)
    missing.push('--workspace (or FERRY_WORKSPACE)');
  if (missing.length > 0) {
    const login =
      url.value === undefined || token.value === undefined
        ? `; \`ferry login${profile !== 'default' ? ` --profile ${profile}` : ''}\` saves the URL and a token`
        : '';
    const use =
      needs.workspace === true && workspace.value === undefined
        ? '; `ferry workspace use <id>` saves a workspace'
        : needs.org === true && org.value === undefined
          ? '; `ferry org use <id>` saves an organization'
          : '';
    throw new CliError('missing_option', `missing ${missing.join(', ')}${login}${use}`);
  }
  const baseUrl = parseUrl(url.value!, url.source!);
  const origin: RequestOrigin = {
    profile,
    ...(token.source !== undefined ? { tokenSource: token.source } : {}),
  };
  return {
    client: createFerryClient({
      baseUrl,
      ...(token.value !== undefined ? { token: token.value } : {}),
    }),
    url: baseUrl,
    profile,
    origin,
    orgId: org.value ?? '',
    workspaceId: workspace.value ?? '',
  };
}

/** The socket error of a failed fetch, if that is what `error` is. */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined;
  const cause = (error.cause as { code?: string; message?: string } | undefined) ?? {};
  return cause.code ?? cause.message ?? error.message;
}

/**
 * Reports a failure once, in the user's words, and sets the exit code by its class. Errors
 * that are not the CLI's or the API's propagate (a bug: its stack is worth seeing).
 */
export function reportError(
  context: CliContext,
  error: unknown,
  origin: RequestOrigin = {},
  url?: string,
): void {
  if (error instanceof FerryApiError) {
    const { text, exit } = describeApiError(error, origin);
    context.io.stderr(text);
    context.exitCode = exit;
    return;
  }
  if (error instanceof CliError) {
    context.io.stderr(`ferry: ${error.message}\n`);
    context.exitCode = error.exit;
    return;
  }
  // Errors of the server's modules (a ConfigError naming each bad setting) carry a code.
  if (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    !(error instanceof TypeError)
  ) {
    context.io.stderr(`ferry: ${error.message}\n`);
    context.exitCode =
      (error as unknown as { code: string }).code === 'config_invalid' ? EXIT.usage : EXIT.failure;
    return;
  }
  const socket = unreachable(error);
  if (socket !== undefined) {
    context.io.stderr(
      `ferry: cannot reach the control plane${url !== undefined ? ` at ${url}` : ''} (${socket}): check --url, and that the server is running\n`,
    );
    context.exitCode = EXIT.unreachable;
    return;
  }
  throw error;
}

/** Runs a command's body with a connection; any failure is reported by {@link reportError}. */
export async function withApi(
  context: CliContext,
  flags: ApiFlags,
  needs: Needs,
  body: (api: ApiConnection) => Promise<void>,
): Promise<void> {
  let api: ApiConnection | undefined;
  try {
    api = resolveConnection(context, flags, needs);
    await body(api);
  } catch (error) {
    reportError(context, error, api?.origin, api?.url);
  }
}

/** Writes `value` as indented JSON. */
export function printJson(context: CliContext, value: unknown): void {
  context.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Commander's action arguments: the positionals, then the options, then the command. */
export function splitAction<F, A extends unknown[]>(all: unknown[]): { flags: F; args: A } {
  return { flags: all.at(-2) as F, args: all.slice(0, -2) as A };
}

/**
 * An action that talks to the control plane: resolves the connection from the flags,
 * runs `body` with it and the positional arguments, and reports failures.
 */
export function apiAction<F extends ApiFlags, A extends unknown[]>(
  context: CliContext,
  needs: Needs,
  body: (api: ApiConnection, flags: F, ...args: A) => Promise<void>,
) {
  return async (...all: unknown[]) => {
    const { flags, args } = splitAction<F, A>(all);
    await withApi(context, flags, needs, (api) => body(api, flags, ...args));
  };
}
