/** Runs the CLI on an argument list; the testable core of bin.ts. */
import { CommanderError } from 'commander';
import { CliError, type CliContext } from './cli-command.ts';
import { processIo, type CliIo } from './cli-io.ts';
import { buildProgram } from './program.ts';

/** Runs `ferry <argv…>` and resolves to the process exit code. Never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const context: CliContext = { io, exitCode: 0 };
  const program = buildProgram(context);
  // Subcommands inherit output and exit handling from the program.
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput(program.configureOutput());
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successful exits.
      return error.exitCode;
    }
    if (error instanceof CliError || isCodedError(error)) {
      io.stderr(`ferry: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

function isCodedError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}
