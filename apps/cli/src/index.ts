export { runCli } from './run-cli.ts';
export { buildProgram } from './program.ts';
export { createBufferIo, processIo, type CliIo } from './cli-io.ts';
export { CliError, type CliCommand, type CliContext } from './cli-command.ts';
