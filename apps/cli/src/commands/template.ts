/** `ferry template`: prints the customer CloudFormation template. */
import { Option } from 'commander';
import {
  buildTemplate,
  checkParameterValues,
  PARAMETER_DESCRIPTIONS,
  PARAMETER_NAMES,
  renderTemplate,
  TEMPLATE_FORMATS,
  TEMPLATE_VERSION,
  TemplateParameterError,
  type ParameterName,
  type TemplateFormat,
} from '@ferry/aws-template';
import { CliError, type CliCommand } from '../cli-command.ts';

interface TemplateFlags {
  existingVpc?: boolean;
  format: TemplateFormat;
  workspaceId?: string;
  platformPrincipal?: string;
  externalId?: string;
  phoneHomeTopic?: string;
  allowedClientCidr?: string;
  workerBuckets?: string;
}

/** Flag → template parameter whose default it sets. */
const FLAG_PARAMETERS: [keyof TemplateFlags, string, ParameterName][] = [
  ['workspaceId', '--workspace-id <id>', 'WorkspaceId'],
  ['platformPrincipal', '--platform-principal <arn>', 'PlatformPrincipalArn'],
  ['externalId', '--external-id <id>', 'ExternalId'],
  ['phoneHomeTopic', '--phone-home-topic <arn>', 'PhoneHomeTopicArn'],
  ['allowedClientCidr', '--allowed-client-cidr <cidr>', 'AllowedClientCidr'],
  ['workerBuckets', '--worker-buckets <names>', 'WorkerBuckets'],
];

function parametersHelp(): string {
  const lines = [
    '',
    `Template ${TEMPLATE_VERSION} parameters (a flag above sets the parameter's default):`,
  ];
  for (const name of PARAMETER_NAMES) {
    const fallback =
      name === 'WorkerBuckets' ? ' Default: empty (all buckets).' : ' Default: none.';
    lines.push(`  ${name.padEnd(22)} ${PARAMETER_DESCRIPTIONS[name]}${fallback}`);
  }
  lines.push(
    `  ${'VpcId'.padEnd(22)} (--existing-vpc) ${PARAMETER_DESCRIPTIONS.VpcId}`,
    `  ${'SubnetIds'.padEnd(22)} (--existing-vpc) ${PARAMETER_DESCRIPTIONS.SubnetIds}`,
    '',
    'The stack creates named IAM roles: create it with CAPABILITY_NAMED_IAM.',
    '',
  );
  return lines.join('\n');
}

export const templateCommand: CliCommand = {
  name: 'template',
  register(program, { io }) {
    const command = program
      .command('template')
      .description('Print the CloudFormation template that connects an AWS account to a workspace.')
      .option('--existing-vpc', 'use an existing VPC and subnets (VpcId, SubnetIds parameters)')
      .addOption(
        new Option('--format <format>', 'output format').choices(TEMPLATE_FORMATS).default('json'),
      );
    for (const [, flag, parameter] of FLAG_PARAMETERS) {
      command.option(flag, `default of ${parameter}`);
    }
    command.addHelpText('after', parametersHelp()).action((flags: TemplateFlags) => {
      const defaults: Partial<Record<ParameterName, string>> = {};
      for (const [key, , parameter] of FLAG_PARAMETERS) {
        const value = flags[key];
        if (typeof value === 'string') defaults[parameter] = value;
      }
      try {
        checkParameterValues(defaults);
      } catch (error) {
        if (!(error instanceof TemplateParameterError)) throw error;
        const flag = FLAG_PARAMETERS.find(([, , p]) => p === error.field)?.[1].split(' ')[0];
        throw new CliError('INVALID_OPTION', `${flag} (${error.message})`);
      }
      const template = buildTemplate({
        network: flags.existingVpc ? 'existing' : 'new',
        defaults,
      });
      io.stdout(renderTemplate(template, flags.format));
    });
  },
};
