/** Runs the CLI on an argument list; the testable core of bin.ts. */
import { CommanderError } from 'commander';
import type { CliContext } from './cli-command.ts';
import { processIo, type CliIo } from './cli-io.ts';
import { reportError } from './api-connection.ts';
import { EXIT } from './exit-codes.ts';
import { buildProgram } from './program.ts';

/** Runs `ferry <argv…>` and resolves to the process exit code. Never exits the process. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo,
  env: CliContext['env'] = process.env,
): Promise<number> {
  const context: CliContext = { io, exitCode: 0, env };
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successful exits; commander printed the rest.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    reportError(context, error);
    return context.exitCode;
  }
}
