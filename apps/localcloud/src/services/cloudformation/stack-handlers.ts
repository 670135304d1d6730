/** CloudFormation operations: stacks, their events, resources, templates. */
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { items, text, texts } from '../../core/input-values.ts';
import {
  operationSettled,
  runCreate,
  runDelete,
  runUpdate,
  startOperation,
} from './stack-engine.ts';
import type { EngineInput } from './stack-engine.ts';
import {
  addEvent,
  cfnState,
  findStack,
  newStackId,
  requireStack,
  setStackStatus,
  validationError,
} from './stack-store.ts';
import type { Stack, StackResource } from './stack-store.ts';
import { checkCapabilities, planTemplate } from './template-plan.ts';
import type { TemplatePlan } from './template-plan.ts';
import { templateText } from './template-source.ts';
import { scalar } from './template-parser.ts';

function authorizeStack(cloud: Cloud, call: Call, action: string, resource: string): void {
  cloud.authorize(call, `cloudformation:${action}`, resource);
}

function stackArnPattern(call: Call, name: string): string {
  return `arn:aws:cloudformation:${call.region}:${call.caller.accountId}:stack/${name}/*`;
}

const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;

function capabilitiesOf(input: unknown): string[] {
  const given = texts(input);
  const known = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];
  const bad = given.find((c) => !known.includes(c));
  if (bad !== undefined) {
    throw validationError(
      `1 validation error detected: Value '[${bad}]' at 'capabilities' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${known.join(', ')}]]`,
    );
  }
  return given;
}

function tagsOf(input: unknown): { Key: string; Value: string }[] {
  return items(input).map((t) => {
    const tag = t as Record<string, unknown>;
    return { Key: text(tag.Key), Value: text(tag.Value) };
  });
}

/** The plan of a stack's current template (for deletes and as the base of updates). */
async function currentPlan(cloud: Cloud, call: Call, stack: Stack): Promise<TemplatePlan> {
  return planTemplate({
    cloud,
    caller: call.caller,
    region: stack.region,
    stackName: stack.stackName,
    stackId: stack.stackId,
    body: stack.templateBody,
    parameters: stack.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.value })),
    validateOnly: false,
  }).catch(() =>
    // EC2-typed parameters may name resources that are gone: order by the template alone.
    planTemplate({
      cloud,
      caller: call.caller,
      region: stack.region,
      stackName: stack.stackName,
      stackId: stack.stackId,
      body: stack.templateBody,
      parameters: [],
      validateOnly: true,
    }),
  );
}

const createStack: Handler = async (call, cloud) => {
  const name = text(call.input.StackName);
  if (!STACK_NAME.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
    );
  }
  const stackId = newStackId(call.region, call.caller.accountId, name);
  authorizeStack(cloud, call, 'CreateStack', stackId);
  if (call.input.RoleARN !== undefined) {
    throw validationError(
      'RoleARN is not supported here: resources are created with the permissions of the caller',
    );
  }
  const state = cfnState(cloud, call.caller.accountId, call.region);
  if (findStack(state, name) !== undefined)
    throw new AwsError('AlreadyExistsException', `Stack [${name}] already exists`);
  const body = await templateText(cloud, call.caller, call.region, call.input);
  const plan = await planTemplate({
    cloud,
    caller: call.caller,
    region: call.region,
    stackName: name,
    stackId,
    body,
    parameters: call.input.Parameters,
  });
  const capabilities = capabilitiesOf(call.input.Capabilities);
  checkCapabilities(plan, capabilities);
  const onFailure = text(call.input.OnFailure);
  const stack: Stack = {
    stackId,
    stackName: name,
    accountId: call.caller.accountId,
    region: call.region,
    status: 'CREATE_IN_PROGRESS',
    ...(plan.template.Description === undefined ? {} : { description: plan.template.Description }),
    templateBody: body,
    parameters: plan.parameters.stored,
    capabilities,
    tags: tagsOf(call.input.Tags),
    outputs: [],
    resources: {},
    events: [],
    createdAt: cloud.now(),
    disableRollback: call.input.DisableRollback === true || onFailure === 'DO_NOTHING',
    notificationArns: texts(call.input.NotificationARNs),
    ...(call.input.TimeoutInMinutes === undefined
      ? {}
      : { timeoutInMinutes: Number(call.input.TimeoutInMinutes) }),
    operation: 'CREATE',
  };
  state.stacks[stackId] = stack;
  addEvent(cloud, stack, {
    logicalId: name,
    physicalId: stackId,
    type: 'AWS::CloudFormation::Stack',
    status: 'CREATE_IN_PROGRESS',
    reason: 'User Initiated',
  });
  const input: EngineInput = { cloud, stack, caller: call.caller, plan };
  startOperation(cloud, stack, async (signal) => {
    await runCreate(input, signal);
    if (onFailure === 'DELETE' && stack.status === 'ROLLBACK_COMPLETE') await runDelete(input);
  });
  return { StackId: stackId };
};

const updateStack: Handler = async (call, cloud) => {
  const state = cfnState(cloud, call.caller.accountId, call.region);
  const stack = requireStack(state, call.input.StackName);
  authorizeStack(cloud, call, 'UpdateStack', stack.stackId);
  if (
    !/_COMPLETE$/.test(stack.status) ||
    stack.status.startsWith('DELETE') ||
    stack.status === 'ROLLBACK_COMPLETE'
  ) {
    throw validationError(
      `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
    );
  }
  const usePrevious = call.input.UsePreviousTemplate === true;
  if (
    usePrevious &&
    (call.input.TemplateBody !== undefined || call.input.TemplateURL !== undefined)
  ) {
    throw validationError(
      'You cannot specify both usePreviousTemplate and Template Body/Template URL',
    );
  }
  const body = usePrevious
    ? stack.templateBody
    : await templateText(cloud, call.caller, call.region, call.input);
  const plan = await planTemplate({
    cloud,
    caller: call.caller,
    region: stack.region,
    stackName: stack.stackName,
    stackId: stack.stackId,
    body,
    parameters: call.input.Parameters,
    previousParameters: stack.parameters,
  });
  const capabilities = capabilitiesOf(call.input.Capabilities);
  checkCapabilities(plan, capabilities);
  const previous = await currentPlan(cloud, call, stack);
  const sameTemplate = JSON.stringify(plan.template) === JSON.stringify(previous.template);
  const sameParameters =
    JSON.stringify(plan.parameters.stored) === JSON.stringify(stack.parameters);
  const tags = call.input.Tags === undefined ? stack.tags : tagsOf(call.input.Tags);
  if (sameTemplate && sameParameters && JSON.stringify(tags) === JSON.stringify(stack.tags)) {
    throw validationError('No updates are to be performed.');
  }
  const old = {
    body: stack.templateBody,
    parameters: stack.parameters,
    capabilities: stack.capabilities,
    tags: stack.tags,
    description: stack.description,
  };
  stack.updatedAt = cloud.now();
  stack.operation = 'UPDATE';
  stack.status = 'UPDATE_IN_PROGRESS';
  addEvent(cloud, stack, {
    logicalId: stack.stackName,
    physicalId: stack.stackId,
    type: 'AWS::CloudFormation::Stack',
    status: 'UPDATE_IN_PROGRESS',
    reason: 'User Initiated',
  });
  const commit = () => {
    stack.templateBody = body;
    stack.parameters = plan.parameters.stored;
    stack.capabilities = capabilities;
    stack.tags = tags;
    if (plan.template.Description === undefined) delete stack.description;
    else stack.description = plan.template.Description;
  };
  const restore = () => {
    stack.templateBody = old.body;
    stack.parameters = old.parameters;
    stack.capabilities = old.capabilities;
    stack.tags = old.tags;
  };
  startOperation(cloud, stack, (signal) =>
    runUpdate(
      { cloud, stack, caller: call.caller, plan },
      { cloud, stack, caller: call.caller, plan: previous },
      signal,
      commit,
      restore,
    ),
  );
  return { StackId: stack.stackId };
};

const deleteStack: Handler = async (call, cloud) => {
  const state = cfnState(cloud, call.caller.accountId, call.region);
  const name = text(call.input.StackName);
  const stack = findStack(state, name);
  authorizeStack(cloud, call, 'DeleteStack', stack?.stackId ?? stackArnPattern(call, name));
  if (
    stack === undefined ||
    stack.status === 'DELETE_COMPLETE' ||
    stack.status === 'DELETE_IN_PROGRESS'
  )
    return {};
  const plan = await currentPlan(cloud, call, stack);
  startOperation(cloud, stack, async () => {
    await runDelete({ cloud, stack, caller: call.caller, plan });
  });
  return {};
};

function describeStack(stack: Stack): Record<string, unknown> {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ...(stack.description === undefined ? {} : { Description: stack.description }),
    Parameters: stack.parameters.map((p) => ({
      ParameterKey: p.key,
      ParameterValue: p.noEcho ? '****' : p.value,
    })),
    CreationTime: new Date(stack.createdAt),
    ...(stack.updatedAt === undefined ? {} : { LastUpdatedTime: new Date(stack.updatedAt) }),
    ...(stack.deletedAt === undefined ? {} : { DeletionTime: new Date(stack.deletedAt) }),
    StackStatus: stack.status,
    ...(stack.statusReason === undefined ? {} : { StackStatusReason: stack.statusReason }),
    DisableRollback: stack.disableRollback,
    NotificationARNs: stack.notificationArns,
    ...(stack.timeoutInMinutes === undefined ? {} : { TimeoutInMinutes: stack.timeoutInMinutes }),
    Capabilities: stack.capabilities,
    Outputs: stack.outputs,
    Tags: stack.tags,
    EnableTerminationProtection: false,
    RollbackConfiguration: {},
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

function page<T>(list: T[], token: unknown, size: number): { items: T[]; NextToken?: string } {
  let start = 0;
  if (typeof token === 'string' && token !== '') {
    start = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw validationError('Invalid NextToken');
  }
  const slice = list.slice(start, start + size);
  return start + size < list.length
    ? { items: slice, NextToken: Buffer.from(String(start + size)).toString('base64') }
    : { items: slice };
}

const describeStacks: Handler = (call, cloud) => {
  const state = cfnState(cloud, call.caller.accountId, call.region);
  if (call.input.StackName !== undefined) {
    const stack = requireStack(state, call.input.StackName);
    authorizeStack(cloud, call, 'DescribeStacks', stack.stackId);
    return Promise.resolve({ Stacks: [describeStack(stack)] });
  }
  authorizeStack(cloud, call, 'DescribeStacks', '*');
  const live = Object.values(state.stacks)
    .filter((s) => s.status !== 'DELETE_COMPLETE')
    .sort((a, b) => b.createdAt - a.createdAt);
  const { items: stacks, NextToken } = page(live, call.input.NextToken, 100);
  return Promise.resolve({
    Stacks: stacks.map(describeStack),
    ...(NextToken ? { NextToken } : {}),
  });
};

const describeStackEvents: Handler = (call, cloud) => {
  const stack = requireStack(
    cfnState(cloud, call.caller.accountId, call.region),
    call.input.StackName,
  );
  authorizeStack(cloud, call, 'DescribeStackEvents', stack.stackId);
  const newestFirst = [...stack.events].reverse();
  const { items: events, NextToken } = page(newestFirst, call.input.NextToken, 100);
  return Promise.resolve({
    StackEvents: events.map((e) => ({
      StackId: stack.stackId,
      EventId: e.eventId,
      StackName: stack.stackName,
      LogicalResourceId: e.logicalId,
      PhysicalResourceId: e.physicalId,
      ResourceType: e.type,
      Timestamp: new Date(e.timestamp),
      ResourceStatus: e.status,
      ...(e.reason === undefined ? {} : { ResourceStatusReason: e.reason }),
      ...(e.properties === undefined ? {} : { ResourceProperties: e.properties }),
    })),
    ...(NextToken ? { NextToken } : {}),
  });
};

function resourceFields(stack: Stack, r: StackResource): Record<string, unknown> {
  return {
    StackName: stack.stackName,
    StackId: stack.stackId,
    LogicalResourceId: r.logicalId,
    ...(r.physicalId === undefined ? {} : { PhysicalResourceId: r.physicalId }),
    ResourceType: r.type,
    ResourceStatus: r.status,
    ...(r.statusReason === undefined ? {} : { ResourceStatusReason: r.statusReason }),
    DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
  };
}

const describeStackResources: Handler = (call, cloud) => {
  const state = cfnState(cloud, call.caller.accountId, call.region);
  let stack: Stack | undefined;
  if (call.input.StackName !== undefined) stack = requireStack(state, call.input.StackName);
  else if (call.input.PhysicalResourceId !== undefined) {
    const physical = text(call.input.PhysicalResourceId);
    stack = Object.values(state.stacks).find(
      (s) =>
        s.status !== 'DELETE_COMPLETE' &&
        Object.values(s.resources).some((r) => r.physicalId === physical),
    );
    if (stack === undefined) throw validationError(`Stack for ${physical} does not exist`);
  } else throw validationError('Either StackName or PhysicalResourceId must be specified.');
  authorizeStack(cloud, call, 'DescribeStackResources', stack.stackId);
  const logical =
    call.input.LogicalResourceId === undefined ? undefined : text(call.input.LogicalResourceId);
  const found = stack;
  return Promise.resolve({
    StackResources: Object.values(found.resources)
      .filter((r) => logical === undefined || r.logicalId === logical)
      .map((r) => ({ ...resourceFields(found, r), Timestamp: new Date(r.updatedAt) })),
  });
};

const describeStackResource: Handler = (call, cloud) => {
  const stack = requireStack(
    cfnState(cloud, call.caller.accountId, call.region),
    call.input.StackName,
  );
  authorizeStack(cloud, call, 'DescribeStackResource', stack.stackId);
  const logical = text(call.input.LogicalResourceId);
  const r = stack.resources[logical];
  if (r === undefined)
    throw validationError(`Resource ${logical} does not exist for stack ${stack.stackName}`);
  const metadata =
    stack.status === 'DELETE_COMPLETE' ? undefined : (JSON.parse(JSON.stringify(null)) as null);
  void metadata;
  return Promise.resolve({
    StackResourceDetail: {
      ...resourceFields(stack, r),
      LastUpdatedTimestamp: new Date(r.updatedAt),
    },
  });
};

const listStackResources: Handler = (call, cloud) => {
  const stack = requireStack(
    cfnState(cloud, call.caller.accountId, call.region),
    call.input.StackName,
  );
  authorizeStack(cloud, call, 'ListStackResources', stack.stackId);
  const { items: list, NextToken } = page(
    Object.values(stack.resources),
    call.input.NextToken,
    100,
  );
  return Promise.resolve({
    StackResourceSummaries: list.map((r) => {
      const fields = resourceFields(stack, r);
      delete fields.StackName;
      delete fields.StackId;
      return { ...fields, LastUpdatedTimestamp: new Date(r.updatedAt) };
    }),
    ...(NextToken ? { NextToken } : {}),
  });
};

const listStacks: Handler = (call, cloud) => {
  authorizeStack(cloud, call, 'ListStacks', '*');
  const filter = texts(call.input.StackStatusFilter);
  const all = Object.values(cfnState(cloud, call.caller.accountId, call.region).stacks)
    .filter((s) => filter.length === 0 || filter.includes(s.status))
    .sort((a, b) => b.createdAt - a.createdAt);
  const { items: stacks, NextToken } = page(all, call.input.NextToken, 100);
  return Promise.resolve({
    StackSummaries: stacks.map((s) => ({
      StackId: s.stackId,
      StackName: s.stackName,
      ...(s.description === undefined ? {} : { TemplateDescription: s.description }),
      CreationTime: new Date(s.createdAt),
      ...(s.updatedAt === undefined ? {} : { LastUpdatedTime: new Date(s.updatedAt) }),
      ...(s.deletedAt === undefined ? {} : { DeletionTime: new Date(s.deletedAt) }),
      StackStatus: s.status,
      ...(s.statusReason === undefined ? {} : { StackStatusReason: s.statusReason }),
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
    })),
    ...(NextToken ? { NextToken } : {}),
  });
};

const getTemplate: Handler = (call, cloud) => {
  const stack = requireStack(
    cfnState(cloud, call.caller.accountId, call.region),
    call.input.StackName,
  );
  authorizeStack(cloud, call, 'GetTemplate', stack.stackId);
  return Promise.resolve({
    TemplateBody: stack.templateBody,
    StagesAvailable: ['Original', 'Processed'],
  });
};

function parameterDeclarations(plan: TemplatePlan): Record<string, unknown>[] {
  return Object.entries(plan.template.Parameters ?? {}).map(([key, decl]) => ({
    ParameterKey: key,
    ...(decl.Default === undefined
      ? {}
      : {
          DefaultValue: Array.isArray(decl.Default)
            ? decl.Default.map((v) => scalar(v)).join(',')
            : scalar(decl.Default),
        }),
    NoEcho: decl.NoEcho === true || decl.NoEcho === 'true',
    ...(typeof decl.Description === 'string' ? { Description: decl.Description } : {}),
    ParameterType: decl.Type,
    ...(Array.isArray(decl.AllowedValues)
      ? { ParameterConstraints: { AllowedValues: decl.AllowedValues.map((v) => scalar(v)) } }
      : {}),
  }));
}

function capabilityReason(plan: TemplatePlan): Record<string, unknown> {
  if (plan.capabilities.length === 0) return {};
  const iam = plan.resources.filter((id) =>
    plan.template.Resources[id]?.Type.startsWith('AWS::IAM::'),
  );
  const capability = plan.capabilities.includes('CAPABILITY_NAMED_IAM')
    ? 'CAPABILITY_NAMED_IAM'
    : 'CAPABILITY_IAM';
  return {
    Capabilities: [capability],
    CapabilitiesReason: `The following resource(s) require capabilities: [${[...new Set(iam.map((id) => plan.template.Resources[id]?.Type ?? ''))].join(', ')}]`,
  };
}

const validateTemplate: Handler = async (call, cloud) => {
  authorizeStack(cloud, call, 'ValidateTemplate', '*');
  const body = await templateText(cloud, call.caller, call.region, call.input);
  const plan = await planTemplate({
    cloud,
    caller: call.caller,
    region: call.region,
    stackName: 'validate',
    stackId: 'validate',
    body,
    parameters: [],
    validateOnly: true,
  });
  return {
    Parameters: parameterDeclarations(plan).map((p) => {
      const copy = { ...p };
      delete copy.ParameterType;
      delete copy.ParameterConstraints;
      return copy;
    }),
    ...(plan.template.Description === undefined ? {} : { Description: plan.template.Description }),
    ...capabilityReason(plan),
    DeclaredTransforms: [],
  };
};

const getTemplateSummary: Handler = async (call, cloud) => {
  authorizeStack(cloud, call, 'GetTemplateSummary', '*');
  let body: string;
  if (call.input.StackName !== undefined)
    body = requireStack(
      cfnState(cloud, call.caller.accountId, call.region),
      call.input.StackName,
    ).templateBody;
  else body = await templateText(cloud, call.caller, call.region, call.input);
  const plan = await planTemplate({
    cloud,
    caller: call.caller,
    region: call.region,
    stackName: 'summary',
    stackId: 'summary',
    body,
    parameters: [],
    validateOnly: true,
  });
  return {
    Parameters: parameterDeclarations(plan),
    ...(plan.template.Description === undefined ? {} : { Description: plan.template.Description }),
    ...capabilityReason(plan),
    ResourceTypes: [...new Set(Object.values(plan.template.Resources).map((r) => r.Type))],
    Version: plan.template.AWSTemplateFormatVersion ?? '2010-09-09',
    ...(plan.template.Metadata === undefined
      ? {}
      : { Metadata: JSON.stringify(plan.template.Metadata) }),
    DeclaredTransforms: [],
  };
};

const listExports: Handler = (call, cloud) => {
  authorizeStack(cloud, call, 'ListExports', '*');
  const exports = Object.values(cfnState(cloud, call.caller.accountId, call.region).stacks)
    .filter((s) => s.status !== 'DELETE_COMPLETE')
    .flatMap((s) =>
      s.outputs
        .filter((o) => o.ExportName !== undefined)
        .map((o) => ({ ExportingStackId: s.stackId, Name: o.ExportName, Value: o.OutputValue })),
    );
  return Promise.resolve({ Exports: exports });
};

export const stackHandlers: Record<string, Handler> = {
  CreateStack: createStack,
  UpdateStack: updateStack,
  DeleteStack: deleteStack,
  DescribeStacks: describeStacks,
  DescribeStackEvents: describeStackEvents,
  DescribeStackResources: describeStackResources,
  DescribeStackResource: describeStackResource,
  ListStackResources: listStackResources,
  ListStacks: listStacks,
  GetTemplate: getTemplate,
  ValidateTemplate: validateTemplate,
  GetTemplateSummary: getTemplateSummary,
  ListExports: listExports,
};

/** Marks operations a restart interrupted as failed, as a host failure would leave them. */
export function failInterruptedOperations(cloud: Cloud): void {
  for (const entry of cloud.stateEntries('cloudformation')) {
    for (const stack of Object.values((entry.state as { stacks: Record<string, Stack> }).stacks)) {
      if (stack.operation === undefined) continue;
      const failed =
        stack.operation === 'CREATE'
          ? 'CREATE_FAILED'
          : stack.operation === 'DELETE'
            ? 'DELETE_FAILED'
            : stack.operation === 'ROLLBACK'
              ? 'ROLLBACK_FAILED'
              : 'UPDATE_ROLLBACK_FAILED';
      delete stack.operation;
      setStackStatus(cloud, stack, failed, 'localcloud restarted while the operation ran');
    }
  }
  void operationSettled;
}
