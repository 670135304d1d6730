/**
 * Renders registry values (patterns, lists, per-item lists) as CloudFormation expressions
 * for one network variant.
 */
import type { ConditionSpec } from './permission-registry.ts';
import {
  isEachValue,
  isListValue,
  patternRefs,
  type EachValue,
  type ListRef,
  type ScalarRef,
  type ScopeValue,
} from './scope-value.ts';

/** A CloudFormation value: literal JSON or an intrinsic function object. */
export type CfnValue = string | number | boolean | CfnValue[] | { [key: string]: CfnValue };

export type NetworkVariant = 'new' | 'existing';

/** Partitions the template spells out where CloudFormation needs a literal (Fn::Join delimiters). */
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;

/** Template condition true when a partition is the stack's; the first partition is the fallback. */
export const partitionCondition = (p: string): string =>
  `Is${p
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Partition`;

/** Template condition true when the WorkerBuckets list is empty (= all buckets). */
export const ALL_BUCKETS_CONDITION = 'AllWorkerBuckets';

/** Fn::Sub tokens per registry name; `null` = not part of the customer template. */
function subTokens(network: NetworkVariant): Record<ScalarRef, string | null> {
  return {
    Partition: 'AWS::Partition',
    Region: 'AWS::Region',
    AccountId: 'AWS::AccountId',
    WorkspaceId: 'WorkspaceId',
    VpcId: network === 'new' ? 'Vpc' : 'VpcId',
    DirectSecurityGroupId: 'DirectSecurityGroup.GroupId',
    ProxySecurityGroupId: 'ProxySecurityGroup.GroupId',
    WorkerRoleArn: 'WorkerRole.Arn',
    WorkerInstanceProfileArn: 'WorkerInstanceProfile.Arn',
    PlatformPrincipalArn: 'PlatformPrincipalArn',
    ExternalId: 'ExternalId',
    PhoneHomeTopicArn: 'PhoneHomeTopicArn',
    PhoneHomeQueueArn: null,
    ResultsBucket: 'ResultsBucket',
  };
}

/** Logical ids of the subnets in the new-network variant. */
export const NEW_SUBNETS = ['PublicSubnet1', 'PublicSubnet2'] as const;

function tokenExpr(token: string): CfnValue {
  const dot = token.indexOf('.');
  return dot < 0 ? { Ref: token } : { 'Fn::GetAtt': [token.slice(0, dot), token.slice(dot + 1)] };
}

/** Renders values for one network variant. */
export function createCfnValueRenderer(network: NetworkVariant) {
  const tokens = subTokens(network);

  const token = (name: string): string => {
    const t = (tokens as Record<string, string | null | undefined>)[name];
    if (!t) throw new Error(`\${${name}} has no meaning in the customer template`);
    return t;
  };

  /** A pattern as a literal, a Ref/GetAtt, or an Fn::Sub. */
  const pattern = (p: string): CfnValue => {
    const refs = patternRefs(p);
    if (refs.length === 0) return p;
    const whole = /^\$\{([A-Za-z]+)\}$/.exec(p);
    if (whole?.[1]) return tokenExpr(token(whole[1]));
    return { 'Fn::Sub': p.replace(/\$\{([A-Za-z]+)\}/g, (_a, n: string) => `\${${token(n)}}`) };
  };

  const list = (name: ListRef): CfnValue => {
    if (name === 'SubnetIds') {
      return network === 'new' ? NEW_SUBNETS.map((s) => ({ Ref: s })) : { Ref: 'SubnetIds' };
    }
    return { Ref: name };
  };

  /** One ARN per list item, or `whenEmpty`; per partition because Join delimiters are literal. */
  const each = (v: EachValue): CfnValue => {
    const at = v.pattern.indexOf('${item}');
    const prefix = v.pattern.slice(0, at);
    const suffix = v.pattern.slice(at + '${item}'.length);
    const forPartition = (p: string): CfnValue => {
      const delimiter = `${suffix},${prefix.replace('${Partition}', p)}`;
      if (patternRefs(delimiter).length > 0) {
        throw new Error(`per-item pattern "${v.pattern}" may use only \${Partition} and \${item}`);
      }
      return {
        'Fn::Split': [
          ',',
          {
            'Fn::Sub': [
              `${prefix.replace('${Partition}', '${AWS::Partition}')}\${Items}${suffix}`,
              { Items: { 'Fn::Join': [delimiter, list(v.each)] } },
            ],
          },
        ],
      };
    };
    const [first, ...rest] = PARTITIONS;
    const scoped = rest.reduceRight<CfnValue>(
      (otherwise, p) => ({ 'Fn::If': [partitionCondition(p), forPartition(p), otherwise] }),
      forPartition(first),
    );
    return { 'Fn::If': [ALL_BUCKETS_CONDITION, [pattern(v.whenEmpty)], scoped] };
  };

  /** A list of scope values: a plain array, or one list-valued expression standing alone. */
  const values = (vs: ScopeValue[]): CfnValue => {
    const only = vs.length === 1 ? vs[0] : undefined;
    if (only !== undefined && typeof only !== 'string') {
      return isListValue(only) ? list(only.list) : each(only);
    }
    return vs.map((v) => {
      if (typeof v !== 'string') throw new Error('a list value must stand alone');
      return pattern(v);
    });
  };

  const value = (v: ScopeValue | ScopeValue[]): CfnValue => {
    if (Array.isArray(v)) return v.length === 1 ? value(v[0]!) : values(v);
    if (typeof v === 'string') return pattern(v);
    return isEachValue(v) ? each(v) : list(v.list);
  };

  const conditions = (c: ConditionSpec): CfnValue => {
    const out: Record<string, CfnValue> = {};
    for (const [op, keys] of Object.entries(c)) {
      const block: Record<string, CfnValue> = {};
      for (const [key, v] of Object.entries(keys)) block[key] = value(v);
      out[op] = block;
    }
    return out;
  };

  return { pattern, list, values, value, conditions };
}
