/** `ferry demo`: the most end-to-end flow that works today. */
import type { CliCommand } from '../cli-command.ts';

interface DemoFlags {
  exit?: boolean;
}

export const demoCommand: CliCommand = {
  name: 'demo',
  register(program, context) {
    program
      .command('demo')
      .description(
        'Run the end-to-end demo on embedded defaults: generate and validate the customer template, deploy it on paper and evaluate every role’s policies.',
      )
      .option('--exit', 'stop everything the demo started and exit when it is done')
      .action(async (_flags: DemoFlags) => {
        // Loaded on use: the validator's WASM engine would slow every other command.
        const { runTemplateDemo } = await import('../demo/template-demo.ts');
        // Nothing keeps running yet, so the demo ends with or without --exit.
        if (!runTemplateDemo(context.io)) context.exitCode = 1;
      });
  },
};
