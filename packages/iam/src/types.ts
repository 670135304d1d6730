/**
 * The public contract of @ferry/iam. Other packages (aws-template, localcloud, the control
 * plane) code against these types only; keep them stable.
 */

export type Effect = 'Allow' | 'Deny';

/** What a policy document is attached as; it changes which elements are legal. */
export type PolicyKind =
  /** Attached to a user, role or session: no Principal/NotPrincipal. */
  | 'identity'
  /** Bucket, topic or queue policy: Principal or NotPrincipal required. */
  | 'resource'
  /** A role's trust policy: a resource policy whose actions are sts:AssumeRole* / sts:TagSession / sts:SetSourceIdentity. */
  | 'trust';

/** Principal element as written: "*" or a map of type → one or more values. */
export type PrincipalElement = '*' | Partial<Record<PrincipalType, string[]>>;
export type PrincipalType = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';

/** Condition block: operator → key → values (values kept as strings, as IAM does). */
export type ConditionBlock = Record<string, Record<string, string[]>>;

/** A statement after parsing: every single-or-array element normalised to an array. */
export interface Statement {
  Sid?: string;
  Effect: Effect;
  Principal?: PrincipalElement;
  NotPrincipal?: PrincipalElement;
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17' | '2008-10-17';
  Id?: string;
  Statement: Statement[];
}

/** A policy with a name, so a decision can say which one decided. */
export interface NamedPolicy {
  /** e.g. "inline:WorkerS3" or a managed policy ARN or "trust-policy". */
  name: string;
  document: PolicyDocument;
}

/** One problem in a policy document; `path` locates it, e.g. `Statement[1].Condition.StringEquals`. */
export interface PolicyProblem {
  path: string;
  message: string;
}

export type ParseResult =
  { ok: true; policy: PolicyDocument } | { ok: false; problems: PolicyProblem[] };

/** Who makes the request, as IAM sees it. */
export interface RequestPrincipal {
  /** The caller's ARN: user ARN, `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`, account root, … */
  arn: string;
  /** For sessions, the role's ARN (`aws:PrincipalArn`); otherwise equal to `arn`. */
  principalArn: string;
  accountId: string;
  /** Set when an AWS service (e.g. `cloudformation.amazonaws.com`) is the caller. */
  service?: string;
}

/** Condition context: key (case-insensitive) → value(s). Multi-valued keys are arrays. */
export type RequestContext = Record<string, string | string[] | undefined>;

export interface EvaluationRequest {
  principal: RequestPrincipal;
  /** `service:Action`, e.g. `ec2:RunInstances`. */
  action: string;
  /** Resource ARN, or `*` for actions without a resource. */
  resource: string;
  /** Account that owns the resource; defaults to the account in the resource ARN, else the principal's. */
  resourceAccount?: string;
  context: RequestContext;
  /** Identity policies of the caller (inline + managed, of the user or of the session's role). */
  identityPolicies: NamedPolicy[];
  /** Session policies passed to AssumeRole: they can only narrow. */
  sessionPolicies?: NamedPolicy[];
  /** The resource's own policy (trust, bucket, topic, queue policy). */
  resourcePolicy?: NamedPolicy;
}

export type DecisionKind = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** A statement that took part in a decision. */
export interface MatchedStatement {
  policy: string;
  source: 'identity' | 'session' | 'resource';
  index: number;
  sid?: string;
  effect: Effect;
}

export interface Decision {
  decision: DecisionKind;
  /**
   * The statements that decided: the matching Deny statements for ExplicitlyDenied; the
   * matching Allow statements for Allowed; empty for ImplicitlyDenied.
   */
  statements: MatchedStatement[];
  /** A one-line human explanation, e.g. why nothing allowed the request. */
  reason: string;
}
