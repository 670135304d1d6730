/**
 * How `ferry compute` (and the commands built like it) reach the control plane: the
 * workspace-scoped form of ../api-connection.ts.
 */
import type { Command } from 'commander';
import type { FerryApiError, FerryClient } from '@ferry/api';
import type { CliContext } from '../cli-command.ts';
import { describeApiError } from '../api-errors.ts';
import {
  printJson,
  reportError,
  resolveConnection,
  withApiOptions,
  type ApiFlags,
} from '../api-connection.ts';

export { printJson };

/** The flags every compute subcommand takes. */
export type ConnectionFlags = ApiFlags;

/** A client bound to one workspace. */
export interface WorkspaceClient {
  client: FerryClient;
  workspaceId: string;
}

/** Adds --url, --token, --profile, --workspace and --json to a subcommand. */
export function withConnection(command: Command): Command {
  return withApiOptions(command, { workspace: true });
}

/** Builds the client from the flags (else the environment, else the profile); every missing setting is named. */
export function connect(
  flags: ConnectionFlags,
  env: CliContext['env'] = process.env,
): WorkspaceClient {
  const noIo = { stdout: () => undefined, stderr: () => undefined };
  return resolveConnection({ io: noIo, exitCode: 0, env }, flags, { workspace: true });
}

/** An API error as the lines the CLI prints. */
export function formatApiError(error: FerryApiError): string {
  return describeApiError(error).text;
}

/** Runs a subcommand's body; a failure is printed once and sets the exit code by its class. */
export async function runApi(context: CliContext, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    reportError(context, error);
  }
}
