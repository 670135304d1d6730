/** Builds the `ferry` command-line program from the command modules. */
import { Command } from 'commander';
import type { CliContext } from './cli-command.ts';
import { COMMANDS } from './commands/index.ts';
import cliPackage from '../package.json' with { type: 'json' };

/** ferry's version, as `ferry --version` prints it. */
export const VERSION: string = cliPackage.version;

export function buildProgram(context: CliContext): Command {
  const program = new Command('ferry')
    .description('ferry: run nodejs-polars queries on compute in your own AWS account.')
    .version(VERSION, '--version', 'print ferry’s version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => context.io.stdout(s),
      writeErr: (s) => context.io.stderr(s),
    });
  for (const command of COMMANDS) command.register(program, context);
  return program;
}
