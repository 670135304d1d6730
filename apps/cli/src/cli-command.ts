import type { Command } from 'commander';
import type { CliIo } from './cli-io.ts';
import { EXIT } from './exit-codes.ts';

/**
 * One `ferry` subcommand. A module registers its command on the program and sets
 * `context.exitCode` when it fails; it never calls process.exit, so tests can run it in-process.
 */
export interface CliCommand {
  name: string;
  register(program: Command, context: CliContext): void;
}

export interface CliContext {
  io: CliIo;
  /** The code `runCli` returns; commands set it to non-zero on failure. */
  exitCode: number;
  /** Environment (FERRY_*, XDG_CONFIG_HOME, HOME); tests pass their own. */
  env: Readonly<Record<string, string | undefined>>;
}

/** Codes whose exit status is not the generic failure. */
const EXIT_BY_CODE: Readonly<Record<string, number>> = {
  usage: EXIT.usage,
  missing_option: EXIT.usage,
  invalid_option: EXIT.usage,
  not_signed_in: EXIT.auth,
  token_refused: EXIT.auth,
  not_found: EXIT.notFound,
  unreachable: EXIT.unreachable,
  cluster_failed: EXIT.incomplete,
  wait_timeout: EXIT.incomplete,
  setup_failed: EXIT.incomplete,
};

/** A failure the CLI reports as one clear line (no stack trace); `code` is stable. */
export class CliError extends Error {
  readonly code: string;
  /** The process exit code (see exit-codes.ts). */
  readonly exit: number;
  constructor(code: string, message: string, exit?: number) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exit = exit ?? EXIT_BY_CODE[code] ?? EXIT.failure;
  }
}

/** A usage error: a bad or missing flag, named in the message. */
export function usageError(message: string): CliError {
  return new CliError('usage', message);
}
