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
        'Run the end-to-end demo on embedded defaults: generate and validate the customer template and evaluate every role’s policies, then start localcloud and the control plane, connect a workspace to a customer account and wait until it is Active, start a cluster and wait until it is Idle (its instance type and why), stop it and check the customer account has no instance left running; then generate 10 million rows of Parquet in the customer’s S3 and run one aggregation through the SDK in direct mode and one in proxy mode (head, rows, timings, profile, cost).',
      )
      .option('--exit', 'stop everything the demo started and exit when it is done')
      .action(async (flags: DemoFlags) => {
        // Loaded on use: the validator's WASM engine would slow every other command.
        const { runTemplateDemo } = await import('../demo/template-demo.ts');
        if (!runTemplateDemo(context.io)) {
          context.exitCode = 1;
          return;
        }
        const { ensureDashboardBuilt } = await import('@ferry/dashboard');
        const dashboardDir = await ensureDashboardBuilt({
          log: (line) => context.io.stdout(`dashboard: ${line}\n`),
        });
        const { runConnectDemo } = await import('./demo-connect.ts');
        const { demoComputeEnv, runComputeDemo } = await import('./demo-compute.ts');
        let demo;
        let compute;
        try {
          demo = await runConnectDemo(context.io, {
            env: demoComputeEnv(),
            dashboardDir,
            prebuildWorkerBundles: true,
          });
          try {
            compute = await runComputeDemo(context.io, demo);
            const { runQueryDemo, uploadTrips } = await import('./demo-queries.ts');
            const trips = await uploadTrips(context.io, demo);
            await runQueryDemo(context.io, demo, compute.token, trips);
          } catch (err) {
            await compute?.stop().catch(() => {});
            await demo.stop();
            throw err;
          }
        } catch (err) {
          const { FerryApiError } = await import('@ferry/api');
          const { formatApiError } = await import('./compute-connection.ts');
          context.io.stderr(
            err instanceof FerryApiError
              ? `demo: ${formatApiError(err).replace(/^ferry: /, '')}`
              : `demo: ${err instanceof Error ? err.message : String(err)}\n`,
          );
          context.exitCode = 1;
          return;
        }
        const stopAll = async () => {
          await compute.stop();
          await demo.stop();
        };
        if (flags.exit === true) {
          await stopAll();
          context.io.stdout('demo done: everything it started is stopped.\n');
          return;
        }
        const signIn = await demo.signInLink();
        context.io.stdout(
          `demo running: control plane ${demo.controlPlaneUrl}, localcloud ${demo.cloudUrl}. Ctrl-C stops it.\n` +
            `dashboard: ${demo.dashboardUrl ?? demo.controlPlaneUrl}\n` +
            `sign in as the demo admin (one-time link, 15 minutes): ${signIn}\n` +
            `  (or with admin@example.com and the password "demo password, local only")\n` +
            `try the CLI against it: source ${compute.envFile} && npx ferry compute list\n` +
            `  queries need a cluster: npx ferry compute start --cpus 2 --memory 4 --wait, then\n` +
            `  npx ferry query run --cluster <id> --sql "SELECT zone, count(*) AS n FROM read_parquet('s3://${demo.dataBucket}/trips/*.parquet') GROUP BY zone"\n` +
            `  or the SDK: new ComputeContext({ cpus: 2, memory: 4 }) reads the same variables\n`,
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
        await stopAll();
      });
  },
};
