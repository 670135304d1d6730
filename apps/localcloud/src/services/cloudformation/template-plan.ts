/**
 * Checks a template against its parameters before any resource is touched: conditions,
 * resource types, references (Ref, Fn::GetAtt, Fn::Sub, DependsOn), cycles and the IAM
 * capabilities it needs, and yields the dependency graph the engine provisions by.
 */
import { AwsError } from '../../core/contract.ts';
import type { Caller, Cloud } from '../../core/contract.ts';
import { evaluateCondition, isPseudoParameter, references } from './intrinsics.ts';
import type { ResolveContext } from './intrinsics.ts';
import type { ResolvedParameters } from './parameters.ts';
import { resolveParameters } from './parameters.ts';
import { providerFor } from './resources/index.ts';
import type { StackParameter } from './stack-store.ts';
import { validationError } from './stack-store.ts';
import type { Json, Template } from './template-parser.ts';
import { parseTemplate, templateError } from './template-parser.ts';

export interface TemplatePlan {
  template: Template;
  body: string;
  parameters: ResolvedParameters;
  conditions: Record<string, boolean>;
  /** Logical ids whose condition holds, in template order. */
  resources: string[];
  /** Logical id → the logical ids it depends on. */
  dependsOn: Map<string, Set<string>>;
  /** Capabilities the template needs. */
  capabilities: string[];
}

export interface PlanInput {
  cloud: Cloud;
  caller: Caller;
  region: string;
  stackName: string;
  stackId: string;
  body: string;
  /** The request's Parameters (ParameterInput[]), unchecked. */
  parameters: unknown;
  previousParameters?: StackParameter[];
  /** ValidateTemplate: no parameter values; every resource counts as in scope. */
  validateOnly?: boolean;
}

function getAttTargets(value: Json, out: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => getAttTargets(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Fn::GetAtt') {
        const id = typeof v === 'string' ? v.split('.')[0] : Array.isArray(v) ? v[0] : undefined;
        if (typeof id === 'string') out.add(id);
      }
      getAttTargets(v, out);
    }
  }
  return out;
}

function conditionRefs(value: Json, out: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => conditionRefs(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Condition' && typeof v === 'string') out.add(v);
      else conditionRefs(v, out);
    }
  }
  return out;
}

/** A context for resolving before any resource exists (conditions, outputs checks). */
export function staticContext(
  input: Omit<PlanInput, 'body' | 'parameters' | 'cloud' | 'caller'> & { accountId: string },
  template: Template,
  values: Record<string, string | string[]>,
  conditions: Record<string, boolean>,
): ResolveContext {
  return {
    accountId: input.accountId,
    region: input.region,
    stackName: input.stackName,
    stackId: input.stackId,
    parameters: values,
    conditions,
    mappings: template.Mappings ?? {},
    ref: () => undefined,
    getAtt: () => undefined,
  };
}

function evaluateConditions(template: Template, ctx: ResolveContext): Record<string, boolean> {
  const defs = template.Conditions ?? {};
  const done: Record<string, boolean> = {};
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (name in done) return;
    const def = defs[name];
    if (def === undefined) throw templateError(`Unresolved condition dependency ${name}`);
    if (visiting.has(name)) throw templateError(`Circular condition dependency ${name}`);
    visiting.add(name);
    for (const dep of conditionRefs(def, new Set())) visit(dep);
    for (const [k, v] of Object.entries(done)) ctx.conditions[k] = v;
    done[name] = evaluateCondition(def, ctx);
    ctx.conditions[name] = done[name];
    visiting.delete(name);
  };
  for (const name of Object.keys(defs)) visit(name);
  return done;
}

function findCycle(ids: string[], dependsOn: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return stack.slice(stack.indexOf(id));
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of dependsOn.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of ids) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Parses and checks a template with its parameters. */
export async function planTemplate(input: PlanInput): Promise<TemplatePlan> {
  const template = parseTemplate(input.body);
  const parameters: ResolvedParameters = input.validateOnly
    ? { values: {}, stored: [] }
    : await resolveParameters(
        input.cloud,
        input.caller,
        input.region,
        template,
        input.parameters,
        input.previousParameters,
      );
  const ctx = staticContext(
    { ...input, accountId: input.caller.accountId },
    template,
    parameters.values,
    {},
  );
  const conditions = input.validateOnly
    ? Object.fromEntries(Object.keys(template.Conditions ?? {}).map((c) => [c, true]))
    : evaluateConditions(template, ctx);
  const all = template.Resources;
  const unknownTypes = [
    ...new Set(
      Object.values(all)
        .map((r) => r.Type)
        .filter((t) => providerFor(t) === undefined),
    ),
  ];
  if (unknownTypes.length > 0)
    throw templateError(`Unrecognized resource types: [${unknownTypes.join(', ')}]`);
  const inScope = Object.keys(all).filter((id) => {
    const cond = all[id]?.Condition;
    if (cond === undefined) return true;
    if (!(cond in conditions))
      throw templateError(
        `Unresolved dependencies [${cond}]. Cannot reference resources in the Conditions block of the template`,
      );
    return conditions[cond] === true;
  });
  const dependsOn = new Map<string, Set<string>>();
  const unresolved = new Set<string>();
  for (const id of Object.keys(all)) {
    const resource = all[id];
    if (resource === undefined) continue;
    for (const target of getAttTargets(resource.Properties ?? {}, new Set())) {
      if (!(target in all))
        throw validationError(
          `Template error: instance of Fn::GetAtt references undefined resource ${target}`,
        );
    }
    const deps = new Set<string>();
    for (const ref of references(resource.Properties ?? {})) {
      if (isPseudoParameter(ref) || ref in (template.Parameters ?? {})) continue;
      if (!(ref in all)) unresolved.add(ref);
      else deps.add(ref);
    }
    const explicit =
      resource.DependsOn === undefined
        ? []
        : Array.isArray(resource.DependsOn)
          ? resource.DependsOn
          : [resource.DependsOn];
    for (const dep of explicit) {
      if (!(dep in all)) unresolved.add(dep);
      else deps.add(dep);
    }
    deps.delete(id);
    if (deps.has(id)) throw validationError(`Circular dependency between resources: [${id}]`);
    dependsOn.set(id, deps);
  }
  if (unresolved.size > 0)
    throw templateError(
      `Unresolved resource dependencies [${[...unresolved].join(', ')}] in the Resources block of the template`,
    );
  for (const id of inScope) {
    for (const dep of dependsOn.get(id) ?? []) {
      if (!inScope.includes(dep))
        throw templateError(
          `Unresolved resource dependencies [${dep}] in the Resources block of the template`,
        );
    }
  }
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    for (const target of getAttTargets(output.Value, new Set())) {
      if (!(target in all))
        throw validationError(
          `Template error: instance of Fn::GetAtt references undefined resource ${target}`,
        );
    }
    for (const ref of references(output.Value)) {
      if (!isPseudoParameter(ref) && !(ref in (template.Parameters ?? {})) && !(ref in all)) {
        throw templateError(
          `Unresolved resource dependencies [${ref}] in the Outputs block of the template (output ${key})`,
        );
      }
    }
  }
  const scoped = new Map([...dependsOn].filter(([id]) => inScope.includes(id)));
  const cycle = findCycle(inScope, scoped);
  if (cycle) throw validationError(`Circular dependency between resources: [${cycle.join(', ')}]`);
  const capabilities = new Set<string>();
  for (const id of inScope) {
    const resource = all[id];
    const provider = resource === undefined ? undefined : providerFor(resource.Type);
    if (resource === undefined || provider === undefined) continue;
    const iam = provider.iam?.(resource.Properties ?? {});
    if (iam !== undefined) capabilities.add(iam.named ? 'CAPABILITY_NAMED_IAM' : 'CAPABILITY_IAM');
  }
  return {
    template,
    body: input.body,
    parameters,
    conditions,
    resources: inScope,
    dependsOn: scoped,
    capabilities: [...capabilities],
  };
}

/** `InsufficientCapabilitiesException` unless the request acknowledges what the template needs. */
export function checkCapabilities(plan: TemplatePlan, given: string[]): void {
  const needsNamed = plan.capabilities.includes('CAPABILITY_NAMED_IAM');
  const needsIam = plan.capabilities.includes('CAPABILITY_IAM');
  if (needsNamed && !given.includes('CAPABILITY_NAMED_IAM')) {
    throw new AwsError(
      'InsufficientCapabilitiesException',
      'Requires capabilities : [CAPABILITY_NAMED_IAM]',
    );
  }
  if (needsIam && !given.includes('CAPABILITY_IAM') && !given.includes('CAPABILITY_NAMED_IAM')) {
    throw new AwsError(
      'InsufficientCapabilitiesException',
      'Requires capabilities : [CAPABILITY_IAM]',
    );
  }
}
