/**
 * Stack parameters: values from the request, previous values or defaults, checked against
 * the template's declaration (type, AllowedValues, AllowedPattern, lengths, ranges) and, for
 * AWS-specific types, against the account's EC2 resources.
 */
import type { Caller, Cloud } from '../../core/contract.ts';
import { items, text } from '../../core/input-values.ts';
import type { StackParameter } from './stack-store.ts';
import { validationError } from './stack-store.ts';
import type { Json, Template } from './template-parser.ts';
import { scalar } from './template-parser.ts';

export interface ParameterInput {
  ParameterKey?: string;
  ParameterValue?: string;
  UsePreviousValue?: boolean;
}

export interface ResolvedParameters {
  /** Values as intrinsics see them: list types as arrays. */
  values: Record<string, string | string[]>;
  /** As stored and described. */
  stored: StackParameter[];
}

const EC2_TYPES: Record<
  string,
  { action: string; idsField: string; listField: string; idField: string; what: string }
> = {
  'AWS::EC2::VPC::Id': {
    action: 'DescribeVpcs',
    idsField: 'VpcIds',
    listField: 'Vpcs',
    idField: 'VpcId',
    what: 'VPC',
  },
  'AWS::EC2::Subnet::Id': {
    action: 'DescribeSubnets',
    idsField: 'SubnetIds',
    listField: 'Subnets',
    idField: 'SubnetId',
    what: 'subnet',
  },
  'AWS::EC2::SecurityGroup::Id': {
    action: 'DescribeSecurityGroups',
    idsField: 'GroupIds',
    listField: 'SecurityGroups',
    idField: 'GroupId',
    what: 'security group',
  },
};

function baseType(type: string): { list: boolean; element: string } {
  const m = /^List<(.+)>$/.exec(type);
  if (m) return { list: true, element: m[1] ?? '' };
  if (type === 'CommaDelimitedList') return { list: true, element: 'String' };
  return { list: false, element: type };
}

const SUPPORTED = new Set([
  'String',
  'Number',
  'AWS::EC2::VPC::Id',
  'AWS::EC2::Subnet::Id',
  'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::AvailabilityZone::Name',
  'AWS::EC2::KeyPair::KeyName',
  'AWS::EC2::Image::Id',
  'AWS::EC2::Instance::Id',
]);

function checkValue(
  name: string,
  decl: Record<string, Json>,
  value: string,
  element: string,
  region: string,
): void {
  const fail = (why: string) => {
    const constraint =
      typeof decl.ConstraintDescription === 'string' ? decl.ConstraintDescription : why;
    return validationError(
      `Parameter '${name}' ${constraint === why ? why : `failed to satisfy constraint: ${constraint}`}`,
    );
  };
  if (element === 'Number' && (value.trim() === '' || !Number.isFinite(Number(value)))) {
    throw validationError(`Parameter '${name}' must be a number.`);
  }
  const allowed = decl.AllowedValues;
  if (Array.isArray(allowed) && !allowed.map((v) => scalar(v)).includes(value)) {
    throw fail(`must be one of AllowedValues`);
  }
  if (
    typeof decl.AllowedPattern === 'string' &&
    !new RegExp(`^(?:${decl.AllowedPattern})$`).test(value)
  ) {
    throw fail(`must match pattern ${decl.AllowedPattern}`);
  }
  if (decl.MinLength !== undefined && value.length < Number(decl.MinLength))
    throw fail(`must contain at least ${scalar(decl.MinLength)} characters`);
  if (decl.MaxLength !== undefined && value.length > Number(decl.MaxLength))
    throw fail(`must contain at most ${scalar(decl.MaxLength)} characters`);
  if (decl.MinValue !== undefined && Number(value) < Number(decl.MinValue))
    throw fail(`must be a number not less than ${scalar(decl.MinValue)}`);
  if (decl.MaxValue !== undefined && Number(value) > Number(decl.MaxValue))
    throw fail(`must be a number not greater than ${scalar(decl.MaxValue)}`);
  if (
    element === 'AWS::EC2::AvailabilityZone::Name' &&
    !['a', 'b', 'c'].map((z) => `${region}${z}`).includes(value)
  ) {
    throw validationError(
      `Parameter validation failed: parameter value ${value} for parameter name ${name} does not exist. Rollback requested by user.`,
    );
  }
}

/** Resolves and validates parameters; EC2-typed values must exist in the caller's account. */
export async function resolveParameters(
  cloud: Cloud,
  caller: Caller,
  region: string,
  template: Template,
  input: unknown,
  previous: StackParameter[] | undefined,
): Promise<ResolvedParameters> {
  const declared = template.Parameters ?? {};
  const given = new Map<string, ParameterInput>();
  for (const raw of items(input)) {
    const p = raw as ParameterInput;
    const key = text(p.ParameterKey);
    if (key === '') throw validationError('Parameters: every parameter needs a ParameterKey');
    given.set(key, p);
  }
  const unknown = [...given.keys()].filter((k) => !(k in declared));
  if (unknown.length > 0)
    throw validationError(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  const missing: string[] = [];
  const values: Record<string, string | string[]> = {};
  const stored: StackParameter[] = [];
  for (const [name, decl] of Object.entries(declared)) {
    const type = typeof decl.Type === 'string' ? decl.Type : '';
    const { list, element } = baseType(type);
    if (!SUPPORTED.has(element))
      throw validationError(`Template format error: Unrecognized parameter type: ${type}`);
    const p = given.get(name);
    let value: string | undefined;
    if (p?.UsePreviousValue === true) {
      value = previous?.find((q) => q.key === name)?.value;
      if (value === undefined)
        throw validationError(
          `Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
    } else if (p?.ParameterValue !== undefined) {
      value = text(p.ParameterValue);
    } else if (decl.Default !== undefined) {
      value = Array.isArray(decl.Default)
        ? decl.Default.map((v) => scalar(v)).join(',')
        : scalar(decl.Default);
    }
    if (value === undefined) {
      missing.push(name);
      continue;
    }
    const parts = list ? (value === '' ? [] : value.split(',').map((v) => v.trim())) : [value];
    for (const part of parts) checkValue(name, decl, part, element, region);
    const ec2 = EC2_TYPES[element];
    if (ec2 !== undefined && parts.length > 0) {
      let found: Record<string, unknown>[];
      try {
        const out = await cloud.invoke<Record<string, unknown>>(
          'ec2',
          ec2.action,
          { [ec2.idsField]: parts },
          caller,
          region,
        );
        found = items(out[ec2.listField]) as Record<string, unknown>[];
      } catch {
        found = [];
      }
      const ids = new Set(found.map((f) => text(f[ec2.idField])));
      const absent = parts.find((id) => !ids.has(id));
      if (absent !== undefined) {
        throw validationError(
          `Parameter validation failed: parameter value ${absent} for parameter name ${name} does not exist. Rollback requested by user.`,
        );
      }
    }
    values[name] = list ? parts : value;
    stored.push({ key: name, value, noEcho: decl.NoEcho === true || decl.NoEcho === 'true' });
  }
  if (missing.length > 0)
    throw validationError(`Parameters: [${missing.join(', ')}] must have values`);
  return { values, stored };
}
