/**
 * Differential test: ferry's evaluator against @cloud-copilot/iam-simulate (the reference; AGPL,
 * used by this test only) over generated policies and requests. Every disagreement fails the
 * test, except the classes documented in README.md ("Differences from the reference
 * simulator"), which are recognised by the predicates in `documentedDifference` below.
 */
import { randomInt } from 'node:crypto';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConditionOperator } from './condition-operators.ts';
import { evaluate } from './evaluate.ts';
import { parsePolicy } from './parse-policy.ts';
import { principalContextKeys } from './request-context.ts';
import { matchesWildcard } from './wildcard.ts';
import type {
  DecisionKind,
  EvaluationRequest,
  NamedPolicy,
  PolicyKind,
  RequestContext,
  RequestPrincipal,
} from './types.ts';

const A = '111111111111';
const B = '222222222222';

interface Caller {
  principal: RequestPrincipal;
  /** How iam-simulate names the caller. */
  reference: string;
}

const user = (account: string, name: string): Caller => {
  const arn = `arn:aws:iam::${account}:user/${name}`;
  return { principal: { arn, principalArn: arn, accountId: account }, reference: arn };
};
const roleSession = (account: string, role: string, session: string): Caller => {
  const arn = `arn:aws:sts::${account}:assumed-role/${role}/${session}`;
  return {
    principal: { arn, principalArn: `arn:aws:iam::${account}:role/${role}`, accountId: account },
    reference: arn,
  };
};
const service = (name: string): Caller => ({
  principal: { arn: name, principalArn: name, accountId: '', service: name },
  reference: name,
});

const CALLERS: Caller[] = [
  user(A, 'alice'),
  roleSession(A, 'Worker', 'i-0abc'),
  user(B, 'bob'),
  roleSession(B, 'Deployer', 'ci'),
  service('sqs.amazonaws.com'),
];

/** Actions of services without service-specific rules in the reference, plus role trust. */
const TARGETS: { action: string; resources: string[] }[] = [
  {
    action: 'sqs:SendMessage',
    resources: [`arn:aws:sqs:us-east-1:${A}:jobs`, `arn:aws:sqs:eu-west-1:${B}:jobs-dlq`],
  },
  {
    action: 'dynamodb:GetItem',
    resources: [
      `arn:aws:dynamodb:us-east-1:${A}:table/Orders`,
      `arn:aws:dynamodb:us-east-1:${B}:table/alice`,
    ],
  },
  {
    action: 'ec2:TerminateInstances',
    resources: [
      `arn:aws:ec2:us-east-1:${A}:instance/i-0abc`,
      `arn:aws:ec2:us-west-2:${B}:instance/i-9xyz`,
    ],
  },
  {
    action: 'sts:AssumeRole',
    resources: [`arn:aws:iam::${A}:role/Target`, `arn:aws:iam::${B}:role/Target`],
  },
];

const ACTION_PATTERNS = [
  '*',
  'sqs:SendMessage',
  'SQS:sendmessage',
  'sqs:Send*',
  'sqs:*',
  'sqs:ReceiveMessage',
  'dynamodb:GetItem',
  'dynamodb:?etItem',
  'dynamodb:Get*',
  'dynamodb:PutItem',
  'ec2:TerminateInstances',
  'ec2:Terminate*',
  'ec2:*Instances',
  'ec2:RunInstances',
  'sts:AssumeRole',
  'sts:Assume*',
  'sts:*',
];
const TRUST_ACTION_PATTERNS = ['sts:AssumeRole', 'sts:Assume*', 'sts:*', 'sts:TagSession'];

const RESOURCE_PATTERNS = [
  '*',
  `arn:aws:sqs:us-east-1:${A}:jobs`,
  `arn:aws:sqs:*:${A}:*`,
  'arn:aws:sqs:*:*:jobs-???',
  'arn:aws:sqs:*:*:Jobs',
  `arn:aws:dynamodb:us-east-1:${A}:table/Orders`,
  'arn:aws:dynamodb:*:*:table/orders',
  'arn:aws:dynamodb:*:*:table/Ord*',
  'arn:aws:dynamodb:*:*:table/${aws:username}',
  "arn:aws:dynamodb:*:*:table/${ferry:table, 'Orders'}",
  'arn:aws:ec2:*:*:instance/*',
  'arn:aws:ec2:us-east-1:*:instance/i-0???',
  `arn:aws:ec2:*:${B}:instance/*`,
  'arn:aws:iam::*:role/Target',
  `arn:aws:iam::${A}:role/*`,
  'arn:aws:iam::*:role/T?rget',
];

const PRINCIPAL_VALUES = [
  A,
  B,
  `arn:aws:iam::${A}:root`,
  `arn:aws:iam::${B}:root`,
  `arn:aws:iam::${A}:user/alice`,
  `arn:aws:iam::${B}:user/bob`,
  `arn:aws:iam::${A}:role/Worker`,
  `arn:aws:sts::${A}:assumed-role/Worker/i-0abc`,
  `arn:aws:iam::${B}:role/Deployer`,
  '*',
];

/** Condition keys by value type, with the values policies and requests draw from. */
interface KeySpec {
  keys: string[];
  operators: string[];
  policyValues: string[];
  requestValues: string[];
}

const STRING: KeySpec = {
  keys: ['ferry:str', 'aws:PrincipalTag/team', 'FERRY:Str'],
  operators: [
    'StringEquals',
    'StringNotEquals',
    'StringEqualsIgnoreCase',
    'StringNotEqualsIgnoreCase',
    'StringLike',
    'StringNotLike',
  ],
  policyValues: [
    'alpha',
    'Alpha',
    'beta',
    'al*',
    'a?pha',
    '*',
    '${aws:username}',
    '${ferry:var}',
    "${ferry:var, 'alpha'}",
    'x${*}y',
    'x${?}',
    '${$}{ok}',
    '${aws:PrincipalTag/team}-*',
  ],
  requestValues: ['alpha', 'Alpha', 'ALPHA', 'beta', 'alice', 'x*y', 'xay', 'x?', '${ok}', 'red-1'],
};
const NUMERIC: KeySpec = {
  keys: ['ferry:num', 'aws:MultiFactorAuthAge'],
  operators: [
    'NumericEquals',
    'NumericNotEquals',
    'NumericLessThan',
    'NumericLessThanEquals',
    'NumericGreaterThan',
    'NumericGreaterThanEquals',
  ],
  policyValues: ['1', '10', '10.5', '-3', '0', '3600'],
  requestValues: ['1', '10', '10.50', '-3', '5', '3599', '7200', 'abc'],
};
const DATE_OPERATORS = [
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
];
const DATE: KeySpec = {
  keys: ['ferry:date', 'aws:CurrentTime'],
  operators: DATE_OPERATORS,
  policyValues: ['2020-01-01T00:00:00Z', '2021-06-15', '2021-06-15T12:30:00+02:00'],
  requestValues: [
    '2020-01-01T00:00:00Z',
    '2019-12-31T23:59:59Z',
    '2021-06-15T00:00:00Z',
    '2021-06-15T10:30:00Z',
    '2024-02-29T08:00:00.500Z',
    'not-a-date',
  ],
};
const EPOCH_DATE: KeySpec = {
  keys: ['aws:EpochTime'],
  operators: DATE_OPERATORS,
  policyValues: ['1600000000', '1700000000'],
  requestValues: ['1600000000', '1650000000', '1700000001'],
};
const BOOL: KeySpec = {
  keys: ['aws:SecureTransport', 'ferry:bool'],
  operators: ['Bool'],
  policyValues: ['true', 'false', 'TRUE'],
  requestValues: ['true', 'false', 'True', 'yes'],
};
const BINARY: KeySpec = {
  keys: ['ferry:bin'],
  operators: ['BinaryEquals'],
  policyValues: ['QmluYXJ5', 'Zm9vYmFy'],
  requestValues: ['QmluYXJ5', 'Zm9vYmFy', 'YmF6'],
};
const IP: KeySpec = {
  keys: ['aws:SourceIp'],
  operators: ['IpAddress', 'NotIpAddress'],
  policyValues: [
    '0.0.0.0/0',
    '10.0.0.0/8',
    '10.1.2.3',
    '192.168.0.0/16',
    '10.1.2.0/24',
    '2001:db8::/32',
    '2001:db8:1::/48',
  ],
  requestValues: [
    '10.1.2.3',
    '10.200.0.1',
    '192.168.5.5',
    '8.8.8.8',
    '2001:db8::1',
    '2001:db8:1::7',
    '2001:db9::1',
    'not-an-ip',
  ],
};
const ARN: KeySpec = {
  keys: ['aws:SourceArn', 'aws:PrincipalArn'],
  operators: ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'],
  policyValues: [
    `arn:aws:sqs:us-east-1:${A}:jobs`,
    `arn:aws:sqs:*:${A}:job?`,
    'arn:aws:iam::*:role/Worker',
    `arn:aws:iam::${A}:user/\${aws:username}`,
    `arn:aws:*:*:${A}:*`,
    'arn:aws:iam::*:*',
  ],
  requestValues: [
    `arn:aws:sqs:us-east-1:${A}:jobs`,
    `arn:aws:sqs:eu-west-1:${A}:jobs`,
    `arn:aws:iam::${A}:role/Worker`,
    `arn:aws:iam::${B}:role/Worker`,
    `arn:aws:iam::${A}:user/alice`,
    `arn:aws:iam::${B}:user/bob`,
    'not-an-arn',
  ],
};
const NULL: KeySpec = {
  keys: ['ferry:str', 'ferry:num', 'aws:SourceIp', 'aws:TagKeys'],
  operators: ['Null'],
  policyValues: ['true', 'false'],
  requestValues: [],
};
const SPECS = [STRING, NUMERIC, DATE, EPOCH_DATE, BOOL, BINARY, IP, ARN, NULL];

/** Every request value any key may carry, by key (lower-case). */
function requestValuesOf(specs: KeySpec[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const spec of specs) {
    for (const key of spec.keys) {
      const k = key.toLowerCase();
      values.set(k, [...(values.get(k) ?? []), ...spec.requestValues]);
    }
  }
  return values;
}
const REQUEST_VALUES = requestValuesOf(SPECS);
REQUEST_VALUES.set('aws:tagkeys', ['Name', 'team', 'owner']);
REQUEST_VALUES.set('ferry:var', ['alpha', 'beta']);
REQUEST_VALUES.set('ferry:table', ['Orders', 'alice']);

const oneOrMany = <T>(arb: fc.Arbitrary<T>, max = 3): fc.Arbitrary<T | T[]> =>
  fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: max }));

const operatorArb = (spec: KeySpec): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom(...spec.operators),
      fc.constantFrom('', '', 'ForAnyValue:', 'ForAllValues:'),
      fc.boolean(),
    )
    .map(([base, set, ifExists]) =>
      base === 'Null' ? base : `${set}${base}${ifExists ? 'IfExists' : ''}`,
    );

const conditionArb = (
  specs: KeySpec[],
): fc.Arbitrary<Record<string, Record<string, string | string[]>>> =>
  fc
    .array(
      fc
        .constantFrom(...specs)
        .chain((spec) =>
          fc.tuple(
            operatorArb(spec),
            fc.uniqueArray(
              fc.tuple(
                fc.constantFrom(...spec.keys),
                oneOrMany(fc.constantFrom(...spec.policyValues)),
              ),
              { minLength: 1, maxLength: 2, selector: ([k]) => k.toLowerCase() },
            ),
          ),
        ),
      { minLength: 1, maxLength: 3 },
    )
    .map((entries) => {
      const block: Record<string, Record<string, string | string[]>> = {};
      for (const [op, keys] of entries) block[op] = { ...block[op], ...Object.fromEntries(keys) };
      return block;
    });

type Raw = Record<string, unknown>;

const statementArb = (kind: PolicyKind, specs: KeySpec[]): fc.Arbitrary<Raw> =>
  fc
    .record({
      sid: fc.option(fc.constantFrom('S1', 'S2', 'Deny', 'Allow'), { nil: undefined }),
      effect: fc.constantFrom('Allow', 'Allow', 'Allow', 'Deny'),
      notAction: fc.constantFrom(false, false, false, true),
      actions: oneOrMany(
        fc.constantFrom(...(kind === 'trust' ? TRUST_ACTION_PATTERNS : ACTION_PATTERNS)),
      ),
      notResource: fc.constantFrom(false, false, false, true),
      resources: oneOrMany(fc.constantFrom(...RESOURCE_PATTERNS)),
      principalForm: fc.constantFrom('Principal', 'Principal', 'Principal', 'NotPrincipal'),
      principal: fc.oneof(
        fc.constant<unknown>('*'),
        fc.record({ AWS: oneOrMany(fc.constantFrom(...PRINCIPAL_VALUES)) }),
        fc.record({ Service: fc.constantFrom('sqs.amazonaws.com', 'ec2.amazonaws.com') }),
        fc.record({
          AWS: oneOrMany(fc.constantFrom(...PRINCIPAL_VALUES)),
          Service: fc.constant('sqs.amazonaws.com'),
        }),
      ),
      condition: fc.oneof(
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: conditionArb(specs) },
      ),
    })
    .map((s) => {
      const st: Raw = { Effect: s.effect };
      if (s.sid) st.Sid = s.sid;
      st[s.notAction ? 'NotAction' : 'Action'] = s.actions;
      if (kind !== 'trust') st[s.notResource ? 'NotResource' : 'Resource'] = s.resources;
      if (kind !== 'identity') st[s.principalForm] = s.principal;
      if (s.condition) st.Condition = s.condition;
      return st;
    });

const policyArb = (kind: PolicyKind, specs: KeySpec[] = SPECS): fc.Arbitrary<Raw> =>
  fc
    .record({
      version: fc.oneof(
        { weight: 9, arbitrary: fc.constant('2012-10-17') },
        { weight: 1, arbitrary: fc.constant('2008-10-17') },
      ),
      statements: fc.array(statementArb(kind, specs), { minLength: 1, maxLength: 3 }),
    })
    .map(({ version, statements }) => {
      // Sids must be unique within a policy.
      const seen = new Set<string>();
      for (const s of statements) {
        if (typeof s.Sid === 'string' && seen.has(s.Sid)) delete s.Sid;
        else if (typeof s.Sid === 'string') seen.add(s.Sid);
      }
      return { Version: version, Statement: statements.length === 1 ? statements[0] : statements };
    });

const contextArb: fc.Arbitrary<RequestContext> = fc
  .array(
    fc.constantFrom(...REQUEST_VALUES.keys(), 'aws:username').chain((key) => {
      const values = REQUEST_VALUES.get(key) ?? ['alice', 'bob', 'red'];
      return fc.tuple(
        fc.constant(key),
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...values) },
          {
            weight: 2,
            arbitrary: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }),
          },
          { weight: 1, arbitrary: fc.constant<string[]>([]) },
        ),
      );
    }),
    { maxLength: 6 },
  )
  .map((entries) => Object.fromEntries(entries) as RequestContext);

interface Case {
  caller: Caller;
  action: string;
  resource: string;
  context: RequestContext;
  identity: Raw[];
  resourcePolicy?: Raw;
  /** A session policy (session differential only). */
  session?: Raw;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    caller: fc.constantFrom(...CALLERS),
    target: fc
      .constantFrom(...TARGETS)
      .chain((t) => fc.tuple(fc.constant(t.action), fc.constantFrom(...t.resources))),
    context: contextArb,
    identity: fc.array(policyArb('identity'), { maxLength: 3 }),
    withResourcePolicy: fc.boolean(),
  })
  .chain((c) =>
    (c.withResourcePolicy
      ? policyArb(c.target[0].startsWith('sts:') ? 'trust' : 'resource')
      : fc.constant(undefined)
    ).map((resourcePolicy) => ({
      caller: c.caller,
      action: c.target[0],
      resource: c.target[1],
      context: c.context,
      identity: c.identity,
      ...(resourcePolicy ? { resourcePolicy } : {}),
    })),
  );

function named(name: string, doc: Raw, kind: PolicyKind): NamedPolicy {
  const parsed = parsePolicy(doc, kind);
  if (!parsed.ok) {
    throw new Error(`generated ${kind} policy rejected: ${JSON.stringify(parsed.problems)}`);
  }
  return { name, document: parsed.policy };
}

function ownerOf(resource: string): string {
  return resource.split(':')[4]!;
}

function statementsOf(doc: Raw): Raw[] {
  const s = doc.Statement;
  return (Array.isArray(s) ? s : [s]) as Raw[];
}

/** Statements whose Action/NotAction covers the action: only they can decide the request. */
function statementsFor(doc: Raw, action: string): Raw[] {
  const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : [v as string]);
  const names = (st: Raw, el: string): boolean =>
    list(st[el]).some((p) => matchesWildcard(p, action, { caseInsensitive: true }));
  return statementsOf(doc).filter((st) =>
    st.Action !== undefined ? names(st, 'Action') : !names(st, 'NotAction'),
  );
}

function conditionEntries(statements: Raw[]): [string, string, string[]][] {
  const out: [string, string, string[]][] = [];
  for (const st of statements) {
    const cond = st.Condition as Record<string, Record<string, string | string[]>> | undefined;
    for (const [op, keys] of Object.entries(cond ?? {})) {
      for (const [key, v] of Object.entries(keys)) out.push([op, key, Array.isArray(v) ? v : [v]]);
    }
  }
  return out;
}

const EPOCH = /^\d+$/;

/**
 * The classes of cases where ferry and the reference knowingly differ (README.md,
 * "Differences from the reference simulator"). Returns the class name, or undefined.
 */
function documentedDifference(c: Case, context: RequestContext): string | undefined {
  const docs = [
    ...c.identity,
    ...(c.resourcePolicy ? [c.resourcePolicy] : []),
    ...(c.session ? [c.session] : []),
  ];
  for (const doc of docs) {
    const statements = statementsFor(doc, c.action);
    // 1. Variables in Version 2008-10-17 policies are literal text in IAM; the reference
    //    substitutes them.
    if (doc.Version === '2008-10-17' && JSON.stringify(statements).includes('${')) {
      return 'variables-in-2008-policy';
    }
    for (const [op, key, values] of conditionEntries(statements)) {
      const operator = parseConditionOperator(op)!;
      const raw = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      const requestValues = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
      // 2. Epoch values are seconds in IAM; the reference reads them as milliseconds, so an
      //    epoch compared with an ISO 8601 date differs.
      if (operator.type === 'Date') {
        const all = [...values, ...requestValues];
        if (all.some((v) => EPOCH.test(v)) && all.some((v) => !EPOCH.test(v))) {
          return 'epoch-vs-iso-date';
        }
      }
      // 4. ForAnyValue with …IfExists on a missing key: IfExists makes the condition true
      //    (AWS: "If the key is not present, evaluate the condition element as true"); the
      //    reference ignores IfExists under ForAnyValue.
      if (operator.set === 'ForAnyValue' && operator.ifExists && raw === undefined) {
        return 'for-any-value-if-exists-missing-key';
      }
      // 5. The escapes ${*}, ${?} and ${$} stand for the characters * ? $; the reference keeps
      //    them as literal text in operators without wildcards (StringEquals, …IgnoreCase).
      if (
        operator.type === 'String' &&
        operator.comparison !== 'StringLike' &&
        values.some((v) => /\$\{[*?$]\}/.test(v))
      ) {
        return 'escape-in-string-equals';
      }
      // 6. A /0 block holds every address; the reference computes a /0 IPv4 mask with a 32-bit
      //    shift, which JavaScript reduces to a shift by 0, so only 0.0.0.0 is inside.
      if (operator.type === 'Ip' && values.includes('0.0.0.0/0') && requestValues.length > 0) {
        return 'ipv4-slash-zero';
      }
      // 3. NotIpAddress with a single address (no /prefix) and a request address of the other
      //    IP version: the address is outside it, the reference says "not outside".
      if (operator.type === 'Ip' && operator.negated) {
        const v6 = (v: string): boolean => v.includes(':');
        if (
          values.some(
            (p) =>
              !p.includes('/') && requestValues.some((r) => v6(r) !== v6(p) && r !== 'not-an-ip'),
          )
        ) {
          return 'single-ip-other-version';
        }
      }
    }
  }
  return undefined;
}

function referenceDecision(c: Case, context: RequestContext): DecisionKind {
  return runUnsafeSimulation(
    {
      request: {
        principal: c.caller.reference,
        action: c.action,
        resource: { resource: c.resource, accountId: ownerOf(c.resource) },
        contextVariables: Object.fromEntries(
          Object.entries(context).filter(
            (e): e is [string, string | string[]] => e[1] !== undefined,
          ),
        ),
      },
      identityPolicies: c.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // The unsafe entry point loads the resource policy without a name unless it comes
      // pre-validated, and its analysis needs the name.
      ...(c.resourcePolicy
        ? {
            resourcePolicy: {
              __validated: true,
              policyDocument: c.resourcePolicy,
              metadata: { name: 'resource' },
              errors: [],
            },
          }
        : {}),
    },
    {},
  );
}

function ferryDecision(c: Case, context: RequestContext): DecisionKind {
  const isTrust = c.action.startsWith('sts:');
  const request: EvaluationRequest = {
    principal: c.caller.principal,
    action: c.action,
    resource: c.resource,
    context,
    identityPolicies: c.identity.map((doc, i) => named(`identity-${i}`, doc, 'identity')),
    ...(c.session ? { sessionPolicies: [named('session', c.session, 'identity')] } : {}),
    ...(c.resourcePolicy
      ? { resourcePolicy: named('resource', c.resourcePolicy, isTrust ? 'trust' : 'resource') }
      : {}),
  };
  return evaluate(request).decision;
}

/** A new seed per run besides the fixed ones (printed; FERRY_DIFFERENTIAL_SEED replays it). */
// CI keeps to known seeds so a landing is not decided by chance; every other run explores.
const RUN_SEED = Number(
  process.env.FERRY_DIFFERENTIAL_SEED ?? (process.env.CI ? 20261203 : randomInt(2 ** 31)),
);
/** Each part must reach this many cases of every decision. */
const FLOOR = 50;

const countsText = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort()
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

describe.each([20261123, RUN_SEED])(
  'differential test against @cloud-copilot/iam-simulate, seed %i',
  (seed) => {
    // Takes a few seconds of CPU; the generous limit covers a machine shared with other work.
    it(
      'agrees on every generated case outside the documented differences',
      { timeout: 120_000 },
      () => {
        const decisions: Record<string, number> = {};
        const excluded: Record<string, number> = {};
        const operatorsSeen = new Set<string>();
        const accountsSeen = new Set<string>();
        let compared = 0;
        fc.assert(
          fc.property(caseArb, (c) => {
            // IAM always sets these from the caller; give the reference the same request context.
            const context: RequestContext = {
              ...principalContextKeys({ principal: c.caller.principal }),
              ...c.context,
            };
            const difference = documentedDifference(c, context);
            if (difference) {
              excluded[difference] = (excluded[difference] ?? 0) + 1;
              return;
            }
            const ours = ferryDecision(c, context);
            const theirs = referenceDecision(c, context);
            expect({ ferry: ours, case: c }).toEqual({ ferry: theirs, case: c });
            compared++;
            decisions[ours] = (decisions[ours] ?? 0) + 1;
            for (const doc of [...c.identity, ...(c.resourcePolicy ? [c.resourcePolicy] : [])]) {
              for (const [op] of conditionEntries(statementsOf(doc))) operatorsSeen.add(op);
            }
            const caller = c.caller.principal;
            accountsSeen.add(
              caller.service
                ? 'service'
                : caller.accountId === ownerOf(c.resource)
                  ? 'same'
                  : 'cross',
            );
          }),
          { seed, numRuns: 2500, endOnFailure: true },
        );
        console.log(
          `differential (generated policies) seed ${seed}: ${compared} compared, ${countsText(decisions)}; ` +
            `documented differences: ${countsText(excluded) || 'none'}`,
        );
        // The generator must really span what the test claims to cover.
        expect(compared).toBeGreaterThanOrEqual(2000);
        expect(Object.keys(decisions).sort()).toEqual([
          'Allowed',
          'ExplicitlyDenied',
          'ImplicitlyDenied',
        ]);
        for (const d of Object.values(decisions)) expect(d).toBeGreaterThan(Math.max(100, FLOOR));
        expect([...accountsSeen].sort()).toEqual(['cross', 'same', 'service']);
        const bases = new Set([...operatorsSeen].map((op) => parseConditionOperator(op)!.base));
        expect(bases.size).toBe(27);
        expect([...operatorsSeen].some((op) => op.endsWith('IfExists'))).toBe(true);
        expect([...operatorsSeen].some((op) => op.startsWith('ForAllValues:'))).toBe(true);
        expect([...operatorsSeen].some((op) => op.startsWith('ForAnyValue:'))).toBe(true);
        const excludedTotal = Object.values(excluded).reduce((a, b) => a + b, 0);
        expect(excludedTotal).toBeLessThan(500);
      },
    );
  },
);

/**
 * One concrete case per documented difference: ferry follows the AWS documentation quoted in
 * README.md, the reference answers otherwise. If the reference is fixed, these fail and the
 * matching exclusion above can go.
 */
describe('documented differences from the reference', () => {
  const alice = CALLERS[0]!;
  const queue = `arn:aws:sqs:us-east-1:${A}:jobs`;
  const allowIf = (Condition: Raw, Version = '2012-10-17'): Raw => ({
    Version,
    Statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queue, Condition },
  });
  const both = (identity: Raw, context: RequestContext): [DecisionKind, DecisionKind] => {
    const c: Case = {
      caller: alice,
      action: 'sqs:SendMessage',
      resource: queue,
      context,
      identity: [identity],
    };
    const full = { ...principalContextKeys({ principal: alice.principal }), ...context };
    return [ferryDecision(c, full), referenceDecision(c, full)];
  };

  it('variables in Version 2008-10-17 policies are literal text', () => {
    const doc = allowIf({ StringEquals: { 'ferry:str': '${aws:username}' } }, '2008-10-17');
    expect(both(doc, { 'ferry:str': 'alice' })).toEqual(['ImplicitlyDenied', 'Allowed']);
    expect(both(doc, { 'ferry:str': '${aws:username}' })).toEqual(['Allowed', 'ImplicitlyDenied']);
  });

  it('epoch values are seconds', () => {
    // 1600000000 s is 2020-09-13T12:26:40Z.
    const doc = allowIf({ DateGreaterThan: { 'aws:CurrentTime': '1600000000' } });
    expect(both(doc, { 'aws:CurrentTime': '2021-01-01T00:00:00Z' })).toEqual([
      'Allowed',
      'Allowed',
    ]);
    expect(both(doc, { 'aws:CurrentTime': '2020-01-01T00:00:00Z' })).toEqual([
      'ImplicitlyDenied',
      'Allowed',
    ]);
  });

  it('an IPv6 address is outside a single IPv4 address', () => {
    const doc = allowIf({ NotIpAddress: { 'aws:SourceIp': '10.1.2.3' } });
    expect(both(doc, { 'aws:SourceIp': '2001:db8::1' })).toEqual(['Allowed', 'ImplicitlyDenied']);
    // With a CIDR block the reference agrees.
    const block = allowIf({ NotIpAddress: { 'aws:SourceIp': '10.1.2.3/32' } });
    expect(both(block, { 'aws:SourceIp': '2001:db8::1' })).toEqual(['Allowed', 'Allowed']);
  });

  it('ForAnyValue:…IfExists is true when the key is missing', () => {
    const doc = allowIf({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'team' } });
    expect(both(doc, {})).toEqual(['Allowed', 'ImplicitlyDenied']);
    expect(both(doc, { 'aws:TagKeys': ['owner'] })).toEqual([
      'ImplicitlyDenied',
      'ImplicitlyDenied',
    ]);
  });

  it('${?}, ${*} and ${$} stand for the character in StringEquals too', () => {
    const doc = allowIf({ StringEquals: { 'ferry:str': 'x${?}' } });
    expect(both(doc, { 'ferry:str': 'x?' })).toEqual(['Allowed', 'ImplicitlyDenied']);
  });

  it('0.0.0.0/0 holds every IPv4 address', () => {
    const doc = allowIf({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } });
    expect(both(doc, { 'aws:SourceIp': '8.8.8.8' })).toEqual(['Allowed', 'ImplicitlyDenied']);
  });
});

/** Global condition keys only: the validating entry point drops keys an action does not know. */
const GLOBAL_SPECS: KeySpec[] = [
  {
    ...STRING,
    keys: ['aws:PrincipalTag/team'],
    policyValues: [
      'alpha',
      'Alpha',
      'al*',
      'a?pha',
      '${aws:username}',
      "${aws:PrincipalTag/dept, 'alpha'}",
      '${aws:PrincipalTag/team}-*',
    ],
    requestValues: ['alpha', 'Alpha', 'alice', 'red-1', 'beta'],
  },
  { ...NUMERIC, keys: ['aws:MultiFactorAuthAge'], requestValues: ['1', '10', '3599', '7200'] },
  {
    ...DATE,
    keys: ['aws:CurrentTime'],
    requestValues: DATE.requestValues.filter((v) => v !== 'not-a-date'),
  },
  { ...BOOL, keys: ['aws:SecureTransport'], requestValues: ['true', 'false'] },
  {
    ...IP,
    policyValues: IP.policyValues.filter((v) => v !== '0.0.0.0/0'),
    requestValues: IP.requestValues.filter((v) => v !== 'not-an-ip'),
  },
  { ...ARN, requestValues: ARN.requestValues.filter((v) => v !== 'not-an-arn') },
  { ...NULL, keys: ['aws:SourceIp', 'aws:PrincipalTag/team'] },
];
const GLOBAL_VALUES = requestValuesOf(GLOBAL_SPECS);

const ALLOW_ALL: Raw = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: '*', Resource: '*' },
};

const sessionCaseArb: fc.Arbitrary<Case> = fc
  .record({
    caller: fc.constantFrom(CALLERS[1]!, CALLERS[3]!),
    target: fc
      .constantFrom(...TARGETS)
      .chain((t) => fc.tuple(fc.constant(t.action), fc.constantFrom(...t.resources))),
    context: fc
      .array(
        fc
          .constantFrom(...GLOBAL_VALUES.keys())
          .chain((key) => fc.tuple(fc.constant(key), fc.constantFrom(...GLOBAL_VALUES.get(key)!))),
        { maxLength: 4 },
      )
      .map((entries) => Object.fromEntries(entries) as RequestContext),
    // Roles and session policies are often broad: a third of the roles and half of the
    // session policies also allow all, so that every decision is common.
    identity: fc
      .tuple(fc.array(policyArb('identity', GLOBAL_SPECS), { maxLength: 2 }), fc.nat(2))
      .map(([policies, broad]) => (broad === 0 ? [...policies, ALLOW_ALL] : policies)),
    session: fc.oneof(policyArb('identity', GLOBAL_SPECS), fc.constant(ALLOW_ALL)),
    withResourcePolicy: fc.boolean(),
  })
  .chain((c) =>
    (c.withResourcePolicy
      ? policyArb(c.target[0].startsWith('sts:') ? 'trust' : 'resource', GLOBAL_SPECS)
      : fc.constant(undefined)
    ).map((resourcePolicy) => ({
      caller: c.caller,
      action: c.target[0],
      resource: c.target[1],
      context: c.context,
      identity: c.identity,
      session: c.session,
      ...(resourcePolicy ? { resourcePolicy } : {}),
    })),
  );

/** A resource policy statement naming the session ARN itself (README: not limited by session policies). */
function namesSessionArn(c: Case): boolean {
  if (!c.resourcePolicy) return false;
  return statementsFor(c.resourcePolicy, c.action).some(
    (st) =>
      st.Effect === 'Allow' && JSON.stringify(st.Principal ?? '').includes(c.caller.principal.arn),
  );
}

/**
 * Open difference, found by this part's rotating seeds (README, difference 9): a negated
 * operator one of whose values holds a variable the request cannot resolve (e.g.
 * `ArnNotEqualsIfExists` with `${aws:username}` for a role session). ferry makes the condition
 * false, the reference true. Counted and printed, not compared, until it is settled.
 */
function negatedWithUnresolvedVariable(c: Case, context: RequestContext): boolean {
  const docs = [
    ...c.identity,
    ...(c.resourcePolicy ? [c.resourcePolicy] : []),
    ...(c.session ? [c.session] : []),
  ];
  const known = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  return docs.some((doc) =>
    conditionEntries(statementsFor(doc, c.action)).some(([op, , values]) => {
      if (!parseConditionOperator(op)?.negated) return false;
      return values.some((v) =>
        [...v.matchAll(/\$\{([^},]+)\}/g)].some(
          (m) => !['*', '?', '$'].includes(m[1]!) && !known.has(m[1]!.toLowerCase()),
        ),
      );
    }),
  );
}

describe.each([20261124, RUN_SEED])('differential test with session policies, seed %i', (seed) => {
  it(
    'agrees on generated session-policy cases outside the documented differences',
    { timeout: 120_000 },
    async () => {
      const decisions: Record<string, number> = {};
      let compared = 0;
      let unresolved = 0;
      await fc.assert(
        fc.asyncProperty(sessionCaseArb, async (c) => {
          const context: RequestContext = {
            ...principalContextKeys({ principal: c.caller.principal }),
            ...c.context,
          };
          if (documentedDifference(c, context) || namesSessionArn(c)) return;
          if (negatedWithUnresolvedVariable(c, context)) {
            unresolved++;
            return;
          }
          const result = await runSimulation(
            {
              request: {
                principal: c.caller.reference,
                action: c.action,
                resource: { resource: c.resource, accountId: ownerOf(c.resource) },
                contextVariables: context as Record<string, string>,
              },
              identityPolicies: c.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
              sessionPolicy: c.session,
              serviceControlPolicies: [],
              resourceControlPolicies: [],
              ...(c.resourcePolicy ? { resourcePolicy: c.resourcePolicy } : {}),
            },
            {},
          );
          if (result.resultType !== 'single')
            throw new Error(`reference refused: ${JSON.stringify(result)}`);
          expect(result.result.ignoredContextKeys ?? []).toEqual([]);
          const ours = ferryDecision(c, context);
          expect({ ferry: ours, case: c }).toEqual({ ferry: result.overallResult, case: c });
          compared++;
          decisions[ours] = (decisions[ours] ?? 0) + 1;
        }),
        { seed, numRuns: 1000, endOnFailure: true },
      );
      console.log(
        `differential (session policies) seed ${seed}: ${compared} compared, ${countsText(decisions)}; ` +
          `open difference (negated operator, unresolved variable): ${unresolved}`,
      );
      expect(compared).toBeGreaterThanOrEqual(700);
      for (const [decision, n] of Object.entries(decisions))
        expect(n, decision).toBeGreaterThanOrEqual(FLOOR);
      expect(Object.keys(decisions).sort()).toEqual([
        'Allowed',
        'ExplicitlyDenied',
        'ImplicitlyDenied',
      ]);
    },
  );
});
