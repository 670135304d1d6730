/**
 * `ferry platform init`: creates the platform's AWS side — phone-home topic (with the policy
 * that lets CloudFormation stacks publish), the queue subscribed to it, the template
 * bucket — idempotently, records it in the control plane's database and prints it.
 */
import type { CliCommand } from '../cli-command.ts';
import { platformAwsError } from './aws-errors.ts';

interface PlatformInitFlags {
  dataDir?: string;
  config?: string;
  databaseUrl?: string;
}

export const platformInitCommand: CliCommand = {
  name: 'platform',
  register(program, context) {
    const platform = program
      .command('platform')
      .description('Set up and inspect the platform’s own AWS resources.');
    platform
      .command('init')
      .description(
        'Create (or find) the phone-home SNS topic and SQS queue and the template bucket with the platform’s AWS credentials (FERRY_AWS_*; with FERRY_AWS_ROLE_ARN, as a session of that role, which customers’ roles then trust), and record them. Safe to run again.',
      )
      .option('--data-dir <dir>', 'embedded database and generated key (default ./.ferry/data)')
      .option('--config <file>', 'JSON config file')
      .option('--database-url <url>', 'PostgreSQL instead of the embedded database')
      .action(async (flags: PlatformInitFlags) => {
        const { loadConfig, createResources, migrate, migrations, initPlatform } =
          await import('@ferry/control-plane');
        const config = loadConfig({
          env: context.env,
          flags: {
            ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
            ...(flags.config !== undefined ? { config: flags.config } : {}),
            ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
            logLevel: 'warn',
          },
        });
        const owned = await createResources(config);
        try {
          await migrate(owned.resources.db, migrations);
          const p = await initPlatform(owned.resources).catch((error: unknown) => {
            throw platformAwsError(error, config.aws.endpointUrl) ?? error;
          });
          context.io.stdout(
            [
              'ferry: platform AWS resources ready',
              `  principal (customers' roles trust it): ${p.principalArn}`,
              ...(config.aws.roleArn !== undefined
                ? [`  acting as role:   ${config.aws.roleArn} (session ferry-platform)`]
                : []),
              `  phone-home topic: ${p.topicArn}`,
              `  phone-home queue: ${p.queueUrl}`,
              `  subscription:     ${p.subscriptionArn}`,
              `  template bucket:  ${p.templateBucket}`,
              '',
            ].join('\n'),
          );
        } finally {
          await owned.close();
        }
      });
  },
};
