/**
 * How an admin deploys the stack: the template with the workspace's values, its presigned
 * URL, the quick-create console link and the equivalent `aws cloudformation create-stack`.
 */
import {
  buildTemplate,
  renderTemplate,
  type ParameterName,
  type PermissionEntry,
} from '@ferry/aws-template';
import { shellQuote } from '@ferry/core';

/** One CloudFormation parameter value. */
export interface StackParameter {
  ParameterKey: string;
  ParameterValue: string;
}

/** What the admin needs to create the stack. */
export interface SetupInstructions {
  externalId: string;
  region: string;
  stackName: string;
  templateUrl: string;
  quickCreateUrl: string;
  parameters: StackParameter[];
  createStackCommand: string;
  templateJson: string;
  templateYaml: string;
}

/** The setup request as stored. */
export interface SetupRequest {
  region: string;
  network: { kind: 'new' } | { kind: 'existing'; vpcId: string; subnetIds: string[] };
  allowedClientCidr: string;
  workerBuckets: string[];
}

/** The stack's parameter values for one workspace. */
export function stackParameters(input: {
  workspaceId: string;
  externalId: string;
  principalArn: string;
  topicArn: string;
  request: SetupRequest;
}): StackParameter[] {
  const values: Record<ParameterName | 'VpcId' | 'SubnetIds', string | undefined> = {
    WorkspaceId: input.workspaceId,
    PlatformPrincipalArn: input.principalArn,
    ExternalId: input.externalId,
    PhoneHomeTopicArn: input.topicArn,
    AllowedClientCidr: input.request.allowedClientCidr,
    WorkerBuckets: input.request.workerBuckets.join(','),
    VpcId: input.request.network.kind === 'existing' ? input.request.network.vpcId : undefined,
    SubnetIds:
      input.request.network.kind === 'existing'
        ? input.request.network.subnetIds.join(',')
        : undefined,
  };
  return Object.entries(values)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

/** The template JSON and YAML of a request (parameters pre-filled as defaults). */
export function templateTexts(
  request: SetupRequest,
  parameters: StackParameter[],
  permissions?: readonly PermissionEntry[],
  resultsBucket?: boolean,
): { json: string; yaml: string } {
  const defaults = Object.fromEntries(
    parameters
      .filter((p) => p.ParameterKey !== 'VpcId' && p.ParameterKey !== 'SubnetIds')
      .map((p) => [p.ParameterKey, p.ParameterValue]),
  ) as Partial<Record<ParameterName, string>>;
  const template = buildTemplate({
    network: request.network.kind,
    defaults,
    ...(permissions !== undefined ? { permissions } : {}),
    ...(resultsBucket !== undefined ? { resultsBucket } : {}),
  });
  return { json: renderTemplate(template, 'json'), yaml: renderTemplate(template, 'yaml') };
}

/**
 * The console's quick-create link, in AWS's format. Only the console base URL differs: the
 * regional AWS console, or `<endpoint>/console` with an endpoint override.
 */
export function quickCreateUrl(input: {
  endpointUrl: string | undefined;
  region: string;
  templateUrl: string;
  stackName: string;
  parameters: StackParameter[];
}): string {
  const query = new URLSearchParams({
    templateURL: input.templateUrl,
    stackName: input.stackName,
  });
  for (const p of input.parameters) query.set(`param_${p.ParameterKey}`, p.ParameterValue);
  return `${consoleBase(input)}/cloudformation/home?region=${encodeURIComponent(input.region)}#/stacks/quickcreate?${query.toString()}`;
}

/** The regional AWS console, or `<endpoint>/console` with an endpoint override. */
function consoleBase(input: { endpointUrl: string | undefined; region: string }): string {
  return input.endpointUrl !== undefined
    ? `${input.endpointUrl.replace(/\/+$/, '')}/console`
    : `https://${input.region}.console.aws.amazon.com`;
}

/** The console's update-stack page with a new template, in AWS's format. */
export function updateStackUrl(input: {
  endpointUrl: string | undefined;
  region: string;
  stackId: string;
  templateUrl: string;
}): string {
  const query = new URLSearchParams({ stackId: input.stackId, templateURL: input.templateUrl });
  return `${consoleBase(input)}/cloudformation/home?region=${encodeURIComponent(input.region)}#/stacks/update/template?${query.toString()}`;
}

/** What an awscli stack command names. */
interface StackCommandInput {
  endpointUrl: string | undefined;
  region: string;
  templateUrl: string;
  stackName: string;
  parameters: StackParameter[];
}

/** `aws cloudformation <verb>` with the template, the capabilities and the parameters. */
function stackCommand(
  verb: string,
  input: StackCommandInput,
  parameter: (p: StackParameter) => string,
) {
  return [
    `aws cloudformation ${verb}`,
    ...(input.endpointUrl !== undefined ? [`--endpoint-url ${shellQuote(input.endpointUrl)}`] : []),
    `--region ${input.region}`,
    `--stack-name ${shellQuote(input.stackName)}`,
    `--template-url ${shellQuote(input.templateUrl)}`,
    '--capabilities CAPABILITY_NAMED_IAM',
    `--parameters ${input.parameters.map((p) => shellQuote(parameter(p))).join(' ')}`,
  ].join(' ');
}

/** `aws cloudformation update-stack` with the new template, keeping every parameter's value. */
export function updateStackCommand(input: StackCommandInput): string {
  return stackCommand(
    'update-stack',
    input,
    (p) => `ParameterKey=${p.ParameterKey},UsePreviousValue=true`,
  );
}

/** The equivalent awscli command (commas in values escaped for the shorthand syntax). */
export function createStackCommand(input: StackCommandInput): string {
  return stackCommand(
    'create-stack',
    input,
    (p) => `ParameterKey=${p.ParameterKey},ParameterValue=${p.ParameterValue.replace(/,/g, '\\,')}`,
  );
}
