/** Builds the `ferry` command-line program from the command modules. */
import { Command } from 'commander';
import type { CliContext } from './cli-command.ts';
import { COMMANDS } from './commands/index.ts';
import cliPackage from '../package.json' with { type: 'json' };

/** ferry's version, as `ferry --version` prints it. */
export const VERSION: string = cliPackage.version;

/** The command's words after `ferry`, e.g. `compute list`. */
function pathOf(command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c !== null && c.parent !== null; c = c.parent)
    words.unshift(c.name());
  return words.join(' ');
}

/** Every command under `root`, depth first. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}

export function buildProgram(context: CliContext): Command {
  const program = new Command('ferry')
    .description('ferry: run nodejs-polars queries on compute in your own AWS account.')
    .version(VERSION, '--version', 'print ferry’s version');
  for (const command of COMMANDS) command.register(program, context);
  for (const command of allCommands(program)) {
    const path = pathOf(command);
    command
      .exitOverride()
      // One line for the error and one for where help is, never the whole help.
      .showHelpAfterError(`(see \`ferry ${path === '' ? '' : `${path} `}--help\`)`)
      .configureOutput({
        writeOut: (s) => context.io.stdout(s),
        writeErr: (s) => context.io.stderr(s),
        outputError: (s, write) => write(s.replace(/^error: /, 'ferry: ')),
      });
  }
  return program;
}
