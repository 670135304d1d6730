/**
 * How `ferry compute` reaches the control plane: `--url`, `--token` and `--workspace` (or
 * FERRY_URL, FERRY_TOKEN, FERRY_WORKSPACE), a typed API client, and API errors printed
 * with their code, message and field details. The token is sent, never printed.
 */
import { Option, type Command } from 'commander';
import { createFerryClient, FerryApiError, type FerryClient } from '@ferry/api';
import { CliError, type CliContext } from '../cli-command.ts';

/** The flags every compute subcommand takes. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
  workspace?: string;
  json?: boolean;
}

/** A client bound to one workspace. */
export interface WorkspaceClient {
  client: FerryClient;
  workspaceId: string;
}

/** Adds --url, --token, --workspace and --json to a subcommand. */
export function withConnection(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'control plane URL, e.g. https://ferry.example.com').env(
        'FERRY_URL',
      ),
    )
    .addOption(
      new Option(
        '--token <token>',
        'personal access token (ferry_pat_…) or service-account access token',
      ).env('FERRY_TOKEN'),
    )
    .addOption(new Option('--workspace <id>', 'workspace id (ws_…)').env('FERRY_WORKSPACE'))
    .option('--json', 'print the API answer as JSON (for scripts)');
}

/** Builds the client from the flags; a missing flag is named. */
export function connect(flags: ConnectionFlags): WorkspaceClient {
  if (flags.url === undefined || flags.url === '')
    throw new CliError('missing_option', '--url (or FERRY_URL) is required');
  if (flags.token === undefined || flags.token === '')
    throw new CliError('missing_option', '--token (or FERRY_TOKEN) is required');
  if (flags.workspace === undefined || flags.workspace === '')
    throw new CliError('missing_option', '--workspace (or FERRY_WORKSPACE) is required');
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new CliError('invalid_option', `--url: not a URL: ${flags.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('invalid_option', `--url: expected http(s), got ${url.protocol}`);
  return {
    client: createFerryClient({ baseUrl: url.toString(), token: flags.token }),
    workspaceId: flags.workspace,
  };
}

/** An API error as lines: `code (status): message`, then one line per field detail. */
export function formatApiError(error: FerryApiError): string {
  let out = `ferry: ${error.code} (${error.status}): ${error.message}\n`;
  for (const d of error.details) out += `  ${d.path}: ${d.message}\n`;
  if (error.requestId !== undefined) out += `  request id: ${error.requestId}\n`;
  return out;
}

/**
 * Runs a subcommand's body: API errors are printed with their details, an unreachable
 * control plane is named, and either sets a non-zero exit code. Other errors propagate.
 */
export async function runApi(context: CliContext, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof FerryApiError) {
      context.io.stderr(formatApiError(error));
      context.exitCode = 1;
      return;
    }
    if (error instanceof CliError) {
      context.io.stderr(`ferry: ${error.message}\n`);
      // 2: the request worked but the cluster did not get where it was asked to go.
      context.exitCode = error.code === 'cluster_failed' || error.code === 'wait_timeout' ? 2 : 1;
      return;
    }
    // fetch failures carry the socket error as the cause.
    if (error instanceof TypeError && error.message === 'fetch failed') {
      const cause = (error.cause as { code?: string; message?: string } | undefined) ?? {};
      context.io.stderr(
        `ferry: cannot reach the control plane: ${cause.code ?? cause.message ?? error.message}\n`,
      );
      context.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** Writes `value` as indented JSON. */
export function printJson(context: CliContext, value: unknown): void {
  context.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
