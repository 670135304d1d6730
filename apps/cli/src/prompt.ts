/**
 * Questions to the user, only on a terminal: with stdin not a terminal (a script, CI, a
 * pipe) ferry never asks, and the error names the flag that gives the answer instead.
 */
import { CliError, type CliContext } from './cli-command.ts';

/** Asks `question`, or fails naming `flag` when stdin is not a terminal. */
export async function askOrFail(
  context: CliContext,
  question: string,
  flag: string,
  options: { hidden?: boolean } = {},
): Promise<string> {
  const { io } = context;
  if (io.interactive !== true || io.ask === undefined)
    throw new CliError(
      'usage',
      `missing ${flag} (stdin is not a terminal, so ferry does not ask for it)`,
    );
  const answer = (await io.ask(question, options)).trim();
  if (answer === '') throw new CliError('usage', `no answer given; pass ${flag} instead`);
  return answer;
}

/** A yes/no question on a terminal; without one, the answer is `fallback`. */
export async function confirm(
  context: CliContext,
  question: string,
  fallback: boolean,
): Promise<boolean> {
  const { io } = context;
  if (io.interactive !== true || io.ask === undefined) return fallback;
  const answer = (await io.ask(`${question} [${fallback ? 'Y/n' : 'y/N'}] `)).trim().toLowerCase();
  if (answer === '') return fallback;
  return answer === 'y' || answer === 'yes';
}

/** The first line of stdin (`--password-stdin`, `--token-stdin`). */
export async function readStdinLine(context: CliContext, flag: string): Promise<string> {
  if (context.io.readStdin === undefined)
    throw new CliError('usage', `${flag}: stdin cannot be read here`);
  const line = (await context.io.readStdin()).split(/\r?\n/)[0]?.trim() ?? '';
  if (line === '') throw new CliError('usage', `${flag}: stdin was empty`);
  return line;
}

/**
 * Confirms an action that cannot be undone: `--yes`, or on a terminal the target's name
 * typed back. Without a terminal and without `--yes` it fails before anything is changed.
 */
export async function confirmByName(
  context: CliContext,
  yes: boolean | undefined,
  kind: string,
  load: () => Promise<{ id: string; name: string }>,
  verb = 'Delete',
): Promise<void> {
  if (yes === true) return;
  if (context.io.interactive !== true)
    throw new CliError(
      'usage',
      'missing --yes (stdin is not a terminal, so ferry does not ask for it)',
    );
  const target = await load();
  const typed = await askOrFail(
    context,
    `${verb} ${kind} ${target.id} "${target.name}"? Type its name to confirm: `,
    '--yes',
  );
  if (typed !== target.name)
    throw new CliError('usage', `the name typed does not match: nothing was changed`);
}
