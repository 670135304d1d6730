/** `ferry server`: runs the control plane until SIGTERM/SIGINT. */
import type { CliCommand } from '../cli-command.ts';

interface ServerFlags {
  listen?: string;
  dataDir?: string;
  config?: string;
  databaseUrl?: string;
  publicUrl?: string;
  logLevel?: string;
  bootstrapAdmin?: string;
}

export const serverCommand: CliCommand = {
  name: 'server',
  register(program, context) {
    program
      .command('server')
      .description(
        'Run the control plane. Settings come from flags, then FERRY_* / DATABASE_URL environment variables, then the --config file, then defaults (see docs/operations.md).',
      )
      .option(
        '--listen <address>',
        'host:port, :port, a port or a host to listen on (default 127.0.0.1:8080)',
      )
      .option('--data-dir <dir>', 'embedded database and generated key (default ./.ferry/data)')
      .option('--config <file>', 'JSON config file')
      .option('--database-url <url>', 'PostgreSQL instead of the embedded database')
      .option('--public-url <url>', 'URL users and stacks reach the control plane at')
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
      .option('--bootstrap-admin <email>', 'on a fresh install, make this user the instance admin')
      .action(async (flags: ServerFlags) => {
        // Loaded on use: other commands need none of the server's dependencies.
        const { start } = await import('@ferry/control-plane');
        const { ensureDashboardBuilt } = await import('@ferry/dashboard');
        const dashboardDir = await ensureDashboardBuilt({
          log: (line) => context.io.stdout(`ferry: ${line}\n`),
        });
        const server = await start({
          dashboardDir,
          flags: {
            ...(flags.listen !== undefined ? { listen: flags.listen } : {}),
            ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
            ...(flags.config !== undefined ? { config: flags.config } : {}),
            ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
            ...(flags.publicUrl !== undefined ? { publicUrl: flags.publicUrl } : {}),
            ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel } : {}),
          },
          ...(flags.bootstrapAdmin !== undefined
            ? { bootstrapAdminEmail: flags.bootstrapAdmin }
            : {}),
          handleSignals: true,
          prebuildWorkerBundles: true,
          print: (line) => context.io.stdout(`${line}\n`),
        });
        context.io.stdout(`ferry: control plane listening on ${server.url}\n`);
      });
  },
};
