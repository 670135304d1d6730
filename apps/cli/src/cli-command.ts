import type { Command } from 'commander';
import type { CliIo } from './cli-io.ts';

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
}

/** A failure the CLI reports as one clear line (no stack trace); `code` is stable. */
export class CliError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}
