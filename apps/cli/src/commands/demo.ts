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
        'Run the end-to-end demo on embedded defaults: generate and validate the customer template and evaluate every role’s policies, then start localcloud and the control plane, connect a workspace to a customer account and wait until it is Active.',
      )
      .option('--exit', 'stop everything the demo started and exit when it is done')
      .action(async (flags: DemoFlags) => {
        // Loaded on use: the validator's WASM engine would slow every other command.
        const { runTemplateDemo } = await import('../demo/template-demo.ts');
        if (!runTemplateDemo(context.io)) {
          context.exitCode = 1;
          return;
        }
        const { runConnectDemo } = await import('./demo-connect.ts');
        let demo;
        try {
          demo = await runConnectDemo(context.io);
        } catch (err) {
          context.io.stderr(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
          context.exitCode = 1;
          return;
        }
        if (flags.exit === true) {
          await demo.stop();
          return;
        }
        context.io.stdout(
          `demo running: control plane ${demo.controlPlaneUrl}, localcloud ${demo.cloudUrl}. Ctrl-C stops it.\n`,
        );
        await new Promise<void>((resolve) => {
          const onSignal = () => {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            resolve();
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        });
        await demo.stop();
      });
  },
};
