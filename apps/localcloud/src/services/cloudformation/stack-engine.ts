/**
 * The provisioning engine: creates, updates and deletes a stack's resources in dependency
 * order (independent ones in parallel), each as the stack's caller through the owning
 * service, with paced events, and rolls back on failure with the failing resource's reason.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/contract.ts';
import type { Caller, Cloud } from '../../core/contract.ts';
import { NO_VALUE, resolve } from './intrinsics.ts';
import type { ResolveContext } from './intrinsics.ts';
import { providerFor, ReplacementRequired } from './resources/index.ts';
import type { ProvisionContext, ResourceState } from './resources/index.ts';
import { cfnSettings } from './settings.ts';
import { addEvent, cfnState, setStackStatus } from './stack-store.ts';
import type { Stack, StackResource } from './stack-store.ts';
import type { TemplatePlan } from './template-plan.ts';
import type { Json } from './template-parser.ts';
import { scalar } from './template-parser.ts';

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/** The stack operations running in this cloud, by stack id. */
function running(cloud: Cloud): Map<string, Running> {
  return cloud.runtime('cloudformation/running', () => new Map<string, Running>());
}

/** Runs `operation` for the stack in the background, one operation per stack at a time. */
export function startOperation(
  cloud: Cloud,
  stack: Stack,
  operation: (signal: AbortSignal) => Promise<void>,
): void {
  const previous = running(cloud).get(stack.stackId);
  const controller = new AbortController();
  const done = (async () => {
    if (previous !== undefined) {
      previous.controller.abort();
      await previous.done;
    }
    try {
      await operation(controller.signal);
    } catch (error) {
      cloud.log.warn('stack operation failed unexpectedly', {
        stack: stack.stackId,
        error: error instanceof Error ? error.message : String(error),
      });
      setStackStatus(
        cloud,
        stack,
        stack.status.replace(/_IN_PROGRESS$/, '_FAILED'),
        error instanceof Error ? error.message : String(error),
      );
    } finally {
      delete stack.operation;
      cloud.markChanged();
      if (running(cloud).get(stack.stackId)?.controller === controller)
        running(cloud).delete(stack.stackId);
    }
  })();
  running(cloud).set(stack.stackId, { controller, done });
}

/** Cancels every running operation of the cloud (shutdown) and waits for them. */
export async function stopOperations(cloud: Cloud): Promise<void> {
  const all = [...running(cloud).values()];
  for (const r of all) r.controller.abort();
  await Promise.allSettled(all.map((r) => r.done));
}

/** Resolves when no operation runs for the stack. */
export async function operationSettled(cloud: Cloud, stackId: string): Promise<void> {
  await running(cloud).get(stackId)?.done;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (ms <= 0 || signal.aborted) return resolveSleep();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done);
  });
}

const SERVICE_NAMES: Record<string, string> = {
  ec2: 'Ec2',
  iam: 'Iam',
  sns: 'Sns',
  sqs: 'Sqs',
  s3: 'S3',
};

function handlerCode(code: string): string {
  if (/AccessDenied|Unauthorized|AuthorizationError/.test(code)) return 'AccessDenied';
  if (/NotFound|NoSuchEntity|DoesNotExist/.test(code)) return 'NotFound';
  if (/AlreadyExists|Duplicate|Exists$/.test(code)) return 'AlreadyExists';
  if (/LimitExceeded|Quota/.test(code)) return 'ServiceLimitExceeded';
  if (/Throttl|RequestLimitExceeded/.test(code)) return 'Throttling';
  if (/Invalid|Malformed|Validation|Missing/.test(code)) return 'InvalidRequest';
  return 'GeneralServiceException';
}

/** An error of a call the engine made, remembering which service answered. */
class ProvisionError extends Error {
  readonly code: string;
  constructor(service: string, error: AwsError) {
    super(
      `Resource handler returned message: "${error.message} (Service: ${SERVICE_NAMES[service] ?? service}, Status Code: ${error.status}, Request ID: ${randomUUID()})" (RequestToken: ${randomUUID()}, HandlerErrorCode: ${handlerCode(error.code)})`,
    );
    this.code = error.code;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof ProvisionError &&
    /NotFound|NoSuchEntity|DoesNotExist|NotAttached/.test(error.code)
  );
}

export interface EngineInput {
  cloud: Cloud;
  stack: Stack;
  caller: Caller;
  plan: TemplatePlan;
}

function resolveContext(
  input: EngineInput,
  resources: Record<string, StackResource>,
): ResolveContext {
  const { stack, plan } = input;
  return {
    accountId: stack.accountId,
    region: stack.region,
    stackName: stack.stackName,
    stackId: stack.stackId,
    parameters: plan.parameters.values,
    conditions: plan.conditions,
    mappings: plan.template.Mappings ?? {},
    ref: (id) => resources[id]?.physicalId,
    getAtt: (id, attribute) => {
      const r = resources[id];
      if (r?.physicalId === undefined) return undefined;
      return r.attributes[attribute];
    },
    importValue: (name) => exportedValue(input.cloud, stack.accountId, stack.region, name),
  };
}

/** An output exported by any live stack of the account and region. */
function exportedValue(
  cloud: Cloud,
  accountId: string,
  region: string,
  name: string,
): string | undefined {
  for (const s of Object.values(cfnState(cloud, accountId, region).stacks)) {
    if (s.status === 'DELETE_COMPLETE') continue;
    const found = s.outputs.find((o) => o.ExportName === name);
    if (found) return found.OutputValue;
  }
  return undefined;
}

function provisionContext(
  input: EngineInput,
  logicalId: string,
  type: string,
  signal: AbortSignal,
): ProvisionContext {
  const { cloud, stack, caller } = input;
  return {
    cloud,
    caller,
    region: stack.region,
    accountId: stack.accountId,
    stackName: stack.stackName,
    stackId: stack.stackId,
    logicalId,
    resourceType: type,
    settings: cfnSettings(cloud),
    signal,
    async invoke<O>(service: string, action: string, body: Record<string, unknown>): Promise<O> {
      try {
        return await cloud.invoke<O>(service, action, body, caller, stack.region);
      } catch (error) {
        if (error instanceof AwsError) throw new ProvisionError(service, error);
        throw error;
      }
    },
  };
}

function resolveProperties(
  input: EngineInput,
  resources: Record<string, StackResource>,
  logicalId: string,
): Record<string, Json> {
  const definition = input.plan.template.Resources[logicalId];
  const value = resolve(definition?.Properties ?? {}, resolveContext(input, resources));
  if (value === NO_VALUE || value === null || typeof value !== 'object' || Array.isArray(value))
    return {};
  return value;
}

function checkRequired(type: string, properties: Record<string, Json>): void {
  const missing = (providerFor(type)?.required ?? []).filter((p) => properties[p] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `Properties validation failed for resource with message: #: required key [${missing.join(', ')}] not found`,
    );
  }
}

/**
 * Runs `step` for each id once its prerequisites finished, in parallel where independent.
 * Stops starting new steps after the first failure; returns the failed ids.
 */
async function schedule(
  ids: string[],
  prerequisites: (id: string) => string[],
  step: (id: string) => Promise<boolean>,
  signal: AbortSignal,
): Promise<string[]> {
  const done = new Set<string>();
  const failed: string[] = [];
  const started = new Set<string>();
  const inFlight = new Map<string, Promise<void>>();
  const launch = () => {
    if (failed.length > 0 || signal.aborted) return;
    for (const id of ids) {
      if (started.has(id)) continue;
      if (prerequisites(id).every((p) => done.has(p) || !ids.includes(p))) {
        started.add(id);
        inFlight.set(
          id,
          step(id).then(
            (ok) => {
              inFlight.delete(id);
              if (ok) done.add(id);
              else failed.push(id);
            },
            () => {
              inFlight.delete(id);
              failed.push(id);
            },
          ),
        );
      }
    }
  };
  launch();
  while (inFlight.size > 0) {
    await Promise.race(inFlight.values());
    launch();
  }
  return failed;
}

function dependentsOf(plan: { dependsOn: Map<string, Set<string>> }, id: string): string[] {
  return [...plan.dependsOn].filter(([, deps]) => deps.has(id)).map(([other]) => other);
}

/** Creates one resource; false (with a CREATE_FAILED event) when it fails. */
async function createResource(
  input: EngineInput,
  id: string,
  signal: AbortSignal,
  cancel: () => void,
): Promise<boolean> {
  const { cloud, stack } = input;
  const type = input.plan.template.Resources[id]?.Type ?? '';
  const provider = providerFor(type);
  await sleep(cfnSettings(cloud).resourceDelayMs, signal);
  if (signal.aborted) return false;
  const resource: StackResource = {
    logicalId: id,
    type,
    status: 'CREATE_IN_PROGRESS',
    properties: {},
    attributes: {},
    updatedAt: cloud.now(),
  };
  stack.resources[id] = resource;
  addEvent(cloud, stack, { logicalId: id, type, status: 'CREATE_IN_PROGRESS' });
  try {
    if (provider === undefined) throw new Error(`Unrecognized resource type ${type}`);
    const properties = resolveProperties(input, stack.resources, id);
    checkRequired(type, properties);
    resource.properties = properties;
    const result = await provider.create(provisionContext(input, id, type, signal), properties);
    resource.physicalId = result.physicalId;
    resource.attributes = result.attributes;
    if (signal.aborted && stack.resources[id] === resource) {
      resource.status = 'CREATE_COMPLETE';
      return true;
    }
    resource.status = 'CREATE_COMPLETE';
    resource.updatedAt = cloud.now();
    addEvent(cloud, stack, {
      logicalId: id,
      physicalId: result.physicalId,
      type,
      status: 'CREATE_COMPLETE',
    });
    return true;
  } catch (error) {
    const reason = signal.aborted ? 'Resource creation cancelled' : reasonOf(error);
    resource.status = 'CREATE_FAILED';
    resource.statusReason = reason;
    resource.updatedAt = cloud.now();
    addEvent(cloud, stack, {
      logicalId: id,
      physicalId: resource.physicalId ?? '',
      type,
      status: 'CREATE_FAILED',
      reason,
    });
    cancel();
    return false;
  }
}

/** Deletes one resource; false (with DELETE_FAILED) when it fails. Already-gone resources count as deleted. */
async function deleteResource(
  input: EngineInput,
  resource: StackResource,
  signal: AbortSignal,
  record = true,
): Promise<boolean> {
  const { cloud, stack } = input;
  const provider = providerFor(resource.type);
  const definition = input.plan.template.Resources[resource.logicalId];
  await sleep(cfnSettings(cloud).resourceDelayMs, new AbortController().signal);
  if (resource.physicalId === undefined) {
    if (record) delete stack.resources[resource.logicalId];
    return true;
  }
  if (definition?.DeletionPolicy === 'Retain' && record) {
    addEvent(cloud, stack, {
      logicalId: resource.logicalId,
      physicalId: resource.physicalId,
      type: resource.type,
      status: 'DELETE_SKIPPED',
    });
    resource.status = 'DELETE_SKIPPED';
    return true;
  }
  addEvent(cloud, stack, {
    logicalId: resource.logicalId,
    physicalId: resource.physicalId,
    type: resource.type,
    status: 'DELETE_IN_PROGRESS',
  });
  resource.status = 'DELETE_IN_PROGRESS';
  try {
    if (provider === undefined) throw new Error(`Unrecognized resource type ${resource.type}`);
    const state: ResourceState = {
      physicalId: resource.physicalId,
      properties: resource.properties,
      attributes: resource.attributes,
    };
    // Deletion is not cancelled by the operation's signal: a half-deleted stack helps nobody.
    await provider.delete(
      provisionContext(input, resource.logicalId, resource.type, new AbortController().signal),
      state,
    );
  } catch (error) {
    if (!isNotFound(error)) {
      resource.status = 'DELETE_FAILED';
      resource.statusReason = reasonOf(error);
      addEvent(cloud, stack, {
        logicalId: resource.logicalId,
        physicalId: resource.physicalId,
        type: resource.type,
        status: 'DELETE_FAILED',
        reason: reasonOf(error),
      });
      return false;
    }
  }
  void signal;
  resource.status = 'DELETE_COMPLETE';
  addEvent(cloud, stack, {
    logicalId: resource.logicalId,
    physicalId: resource.physicalId,
    type: resource.type,
    status: 'DELETE_COMPLETE',
  });
  if (record) delete stack.resources[resource.logicalId];
  return true;
}

/** Deletes the given resources, dependents first; returns the ones that failed. */
async function deleteAll(
  input: EngineInput,
  resources: StackResource[],
  dependsOn: Map<string, Set<string>>,
): Promise<string[]> {
  const ids = resources.map((r) => r.logicalId);
  const byId = new Map(resources.map((r) => [r.logicalId, r]));
  const signal = new AbortController().signal;
  const failed: string[] = [];
  // Unlike creation, keep deleting what can be deleted after a failure.
  const pending = new Set(ids);
  const done = new Set<string>();
  while (pending.size > 0) {
    const ready = [...pending].filter((id) =>
      dependentsOf({ dependsOn }, id).every((d) => !ids.includes(d) || done.has(d)),
    );
    if (ready.length === 0) break;
    const results = await Promise.all(
      ready.map(
        async (id) =>
          [id, await deleteResource(input, byId.get(id) as StackResource, signal)] as const,
      ),
    );
    for (const [id, ok] of results) {
      pending.delete(id);
      if (ok) done.add(id);
      else failed.push(id);
    }
  }
  return [...failed, ...pending];
}

function resolveOutputs(input: EngineInput): Stack['outputs'] {
  const ctx = resolveContext(input, input.stack.resources);
  const outputs: Stack['outputs'] = [];
  for (const [key, output] of Object.entries(input.plan.template.Outputs ?? {})) {
    if (output.Condition !== undefined && input.plan.conditions[output.Condition] !== true)
      continue;
    const value = resolve(output.Value, ctx);
    if (value === NO_VALUE) continue;
    const exportName = output.Export === undefined ? undefined : resolve(output.Export.Name, ctx);
    outputs.push({
      OutputKey: key,
      OutputValue: Array.isArray(value)
        ? value.map((v) => scalar(v)).join(',')
        : typeof value === 'string'
          ? value
          : JSON.stringify(value),
      ...(output.Description === undefined ? {} : { Description: output.Description }),
      ...(typeof exportName === 'string' ? { ExportName: exportName } : {}),
    });
  }
  return outputs;
}

/** CREATE_IN_PROGRESS → CREATE_COMPLETE, or → ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE. */
export async function runCreate(input: EngineInput, signal: AbortSignal): Promise<void> {
  const { cloud, stack, plan } = input;
  stack.operation = 'CREATE';
  const local = new AbortController();
  const cancel = () => local.abort();
  signal.addEventListener('abort', cancel);
  const failed = await schedule(
    plan.resources,
    (id) => [...(plan.dependsOn.get(id) ?? [])],
    (id) => createResource(input, id, local.signal, cancel),
    local.signal,
  );
  signal.removeEventListener('abort', cancel);
  let reason: string | undefined;
  if (failed.length > 0 || local.signal.aborted) {
    const failedIds = Object.values(stack.resources)
      .filter(
        (r) => r.status === 'CREATE_FAILED' && r.statusReason !== 'Resource creation cancelled',
      )
      .map((r) => r.logicalId);
    reason = signal.aborted
      ? 'Stack creation was cancelled'
      : `The following resource(s) failed to create: [${(failedIds.length > 0 ? failedIds : failed).join(', ')}]. ${stack.disableRollback ? '' : 'Rollback requested by user.'}`.trim();
  } else {
    try {
      stack.outputs = resolveOutputs(input);
    } catch (error) {
      reason = `Output resolution failed: ${reasonOf(error)}`;
    }
  }
  if (reason === undefined) {
    setStackStatus(cloud, stack, 'CREATE_COMPLETE');
    return;
  }
  if (stack.disableRollback) {
    setStackStatus(cloud, stack, 'CREATE_FAILED', reason);
    return;
  }
  stack.operation = 'ROLLBACK';
  setStackStatus(cloud, stack, 'ROLLBACK_IN_PROGRESS', reason);
  const created = Object.values(stack.resources);
  const rollbackFailed = await deleteAll(input, created, plan.dependsOn);
  if (rollbackFailed.length > 0) {
    setStackStatus(
      cloud,
      stack,
      'ROLLBACK_FAILED',
      `The following resource(s) failed to delete: [${rollbackFailed.join(', ')}]. `,
    );
  } else {
    stack.outputs = [];
    setStackStatus(cloud, stack, 'ROLLBACK_COMPLETE');
    // The reason stays readable on the rolled-back stack, for whoever reports it.
    stack.statusReason = reason;
  }
}

/** DELETE_IN_PROGRESS → DELETE_COMPLETE (or DELETE_FAILED with the resources that failed). */
export async function runDelete(input: EngineInput): Promise<void> {
  const { cloud, stack, plan } = input;
  stack.operation = 'DELETE';
  setStackStatus(cloud, stack, 'DELETE_IN_PROGRESS');
  const failed = await deleteAll(input, Object.values(stack.resources), plan.dependsOn);
  if (failed.length > 0) {
    setStackStatus(
      cloud,
      stack,
      'DELETE_FAILED',
      `The following resource(s) failed to delete: [${failed.join(', ')}]. `,
    );
    return;
  }
  stack.deletedAt = cloud.now();
  stack.outputs = [];
  setStackStatus(cloud, stack, 'DELETE_COMPLETE');
}

interface UpdateRecord {
  id: string;
  kind: 'created' | 'updated' | 'replaced';
  before?: StackResource;
}

/**
 * UPDATE_IN_PROGRESS → UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_COMPLETE; on failure
 * UPDATE_ROLLBACK_IN_PROGRESS → … → UPDATE_ROLLBACK_COMPLETE with the old template restored.
 */
export async function runUpdate(
  input: EngineInput,
  previous: EngineInput,
  signal: AbortSignal,
  commit: () => void,
  restore: () => void,
): Promise<void> {
  const { cloud, stack, plan } = input;
  stack.operation = 'UPDATE';
  const local = new AbortController();
  const cancel = () => local.abort();
  signal.addEventListener('abort', cancel);
  const records: UpdateRecord[] = [];
  const oldResources = { ...stack.resources };
  const step = async (id: string): Promise<boolean> => {
    const definition = plan.template.Resources[id];
    const type = definition?.Type ?? '';
    const provider = providerFor(type);
    const existing = oldResources[id];
    if (existing === undefined || existing.physicalId === undefined) {
      const ok = await createResource(input, id, local.signal, cancel);
      records.push({ id, kind: 'created' });
      return ok;
    }
    let properties: Record<string, Json>;
    try {
      properties = resolveProperties(input, stack.resources, id);
    } catch (error) {
      addEvent(cloud, stack, {
        logicalId: id,
        physicalId: existing.physicalId,
        type,
        status: 'UPDATE_FAILED',
        reason: reasonOf(error),
      });
      cancel();
      return false;
    }
    if (JSON.stringify(properties) === JSON.stringify(existing.properties)) return true;
    await sleep(cfnSettings(cloud).resourceDelayMs, local.signal);
    const current: ResourceState = {
      physicalId: existing.physicalId,
      properties: existing.properties,
      attributes: existing.attributes,
    };
    const replaceKeys = provider?.replaceOn ?? [];
    const mustReplace =
      provider?.update === undefined ||
      replaceKeys.some(
        (k) => JSON.stringify(properties[k]) !== JSON.stringify(existing.properties[k]),
      );
    addEvent(cloud, stack, {
      logicalId: id,
      physicalId: existing.physicalId,
      type,
      status: 'UPDATE_IN_PROGRESS',
    });
    const ctx = provisionContext(input, id, type, local.signal);
    try {
      if (provider === undefined) throw new Error(`Unrecognized resource type ${type}`);
      checkRequired(type, properties);
      let result: { physicalId: string; attributes: Record<string, Json> } | undefined;
      if (!mustReplace) {
        try {
          result = await provider.update?.(ctx, current, properties);
        } catch (error) {
          if (!(error instanceof ReplacementRequired)) throw error;
        }
      }
      let kind: UpdateRecord['kind'] = 'updated';
      if (result === undefined) {
        const named =
          provider.iam?.(properties).named === true ||
          ['GroupName', 'TopicName', 'QueueName'].some((k) => properties[k] !== undefined);
        if (named)
          throw new Error(
            `CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${id} and update the stack again.`,
          );
        addEvent(cloud, stack, {
          logicalId: id,
          physicalId: existing.physicalId,
          type,
          status: 'UPDATE_IN_PROGRESS',
          reason:
            'Requested update requires the creation of a new physical resource; hence creating one.',
        });
        result = await provider.create(ctx, properties);
        kind = 'replaced';
      } else if (result.physicalId !== existing.physicalId) {
        kind = 'replaced';
      }
      stack.resources[id] = {
        ...existing,
        physicalId: result.physicalId,
        attributes: result.attributes,
        properties,
        status: 'UPDATE_COMPLETE',
        updatedAt: cloud.now(),
      };
      delete stack.resources[id].statusReason;
      records.push({ id, kind, before: existing });
      addEvent(cloud, stack, {
        logicalId: id,
        physicalId: result.physicalId,
        type,
        status: 'UPDATE_COMPLETE',
      });
      return true;
    } catch (error) {
      addEvent(cloud, stack, {
        logicalId: id,
        physicalId: existing.physicalId,
        type,
        status: 'UPDATE_FAILED',
        reason: reasonOf(error),
      });
      stack.resources[id] = { ...existing, status: 'UPDATE_FAILED', statusReason: reasonOf(error) };
      cancel();
      return false;
    }
  };
  const failed = await schedule(
    plan.resources,
    (id) => [...(plan.dependsOn.get(id) ?? [])],
    step,
    local.signal,
  );
  signal.removeEventListener('abort', cancel);
  let outputs: Stack['outputs'] | undefined;
  let reason: string | undefined;
  if (failed.length > 0 || local.signal.aborted) {
    reason = `The following resource(s) failed to update: [${failed.join(', ')}]. `;
  } else {
    try {
      outputs = resolveOutputs(input);
    } catch (error) {
      reason = `Output resolution failed: ${reasonOf(error)}`;
    }
  }
  if (reason === undefined) {
    commit();
    if (outputs !== undefined) stack.outputs = outputs;
    setStackStatus(cloud, stack, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const removed = Object.values(oldResources).filter(
      (r) => !plan.resources.includes(r.logicalId),
    );
    for (const r of removed) delete stack.resources[r.logicalId];
    const replaced = records
      .filter((r) => r.kind === 'replaced' && r.before)
      .map((r) => r.before as StackResource);
    await deleteAll({ ...previous, stack }, removed, previous.plan.dependsOn);
    await Promise.all(replaced.map((r) => deleteResource(input, r, signal, false)));
    setStackStatus(cloud, stack, 'UPDATE_COMPLETE');
    return;
  }
  stack.operation = 'UPDATE_ROLLBACK';
  setStackStatus(cloud, stack, 'UPDATE_ROLLBACK_IN_PROGRESS', reason);
  // Undo in reverse: revert in-place updates, delete what this update created.
  for (const record of [...records].reverse()) {
    const now = stack.resources[record.id];
    if (record.kind === 'updated' && record.before && now?.physicalId !== undefined) {
      const provider = providerFor(record.before.type);
      const ctx = provisionContext(
        previous,
        record.id,
        record.before.type,
        new AbortController().signal,
      );
      addEvent(cloud, stack, {
        logicalId: record.id,
        physicalId: now.physicalId,
        type: now.type,
        status: 'UPDATE_IN_PROGRESS',
      });
      try {
        await provider?.update?.(
          ctx,
          { physicalId: now.physicalId, properties: now.properties, attributes: now.attributes },
          record.before.properties,
        );
        addEvent(cloud, stack, {
          logicalId: record.id,
          physicalId: now.physicalId,
          type: now.type,
          status: 'UPDATE_COMPLETE',
        });
      } catch (error) {
        addEvent(cloud, stack, {
          logicalId: record.id,
          physicalId: now.physicalId,
          type: now.type,
          status: 'UPDATE_FAILED',
          reason: reasonOf(error),
        });
      }
      stack.resources[record.id] = record.before;
    }
  }
  setStackStatus(cloud, stack, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  for (const record of [...records].reverse()) {
    const now = stack.resources[record.id];
    if (record.kind === 'created' && now !== undefined) await deleteResource(input, now, signal);
    if (record.kind === 'replaced' && record.before && now !== undefined) {
      await deleteResource(input, now, signal, false);
      stack.resources[record.id] = record.before;
    }
  }
  stack.resources = { ...oldResources };
  restore();
  setStackStatus(cloud, stack, 'UPDATE_ROLLBACK_COMPLETE');
  stack.statusReason = reason;
}
