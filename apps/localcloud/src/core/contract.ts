/**
 * The seam between localcloud's core (HTTP, SigV4, protocols, accounts, authorization,
 * faults, persistence) and its services. A service never parses HTTP: the protocol layer
 * decodes the wire request into the operation's input shape and encodes the output shape
 * back, both as described by the service model (botocore's service-2.json, member names
 * as there; lists are arrays, maps are objects, timestamps are Date, blobs are Buffer).
 */
import type { NamedPolicy, RequestContext } from '@ferry/iam';
import type { CredentialRecord, CredentialStore } from './credential-store.ts';
import type { DeliveryResult, ServiceDelivery } from './service-delivery.ts';

export type {
  CredentialRecord,
  CredentialStore,
  CredentialPrincipal,
  Account,
} from './credential-store.ts';

/** An AWS error as the SDKs parse it: `code` is the wire error code. */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly senderFault: boolean;
  constructor(code: string, message: string, status = 400, senderFault = status < 500) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.senderFault = senderFault;
  }
}

/** Who signed the request, resolved from the access key. */
export interface Caller {
  accountId: string;
  /** `arn:aws:iam::ACCT:user/NAME`, `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`, `arn:aws:iam::ACCT:root`. */
  arn: string;
  /** `aws:PrincipalArn`: the role ARN for sessions, else `arn`. */
  principalArn: string;
  /** `aws:userid`: `AIDA…` for users, `AROA…:SESSION` for sessions. */
  userId: string;
  kind: 'root' | 'user' | 'assumed-role';
  accessKeyId: string;
  /** Identity policies in force: the user's or the session's role's (inline + attached). */
  identityPolicies: NamedPolicy[];
  /** Session policies passed at AssumeRole (empty if none). */
  sessionPolicies: NamedPolicy[];
  /** Principal tags (`aws:PrincipalTag/…`): the user's/role's tags, overridden by session tags. */
  principalTags: Record<string, string>;
  /** Session-only facts. */
  session?: {
    roleName: string;
    roleSessionName: string;
    sourceIdentity?: string;
    transitiveTagKeys: string[];
    /** True when the session came from another role session (chaining caps at 1 hour). */
    chained: boolean;
    expiresAt: number;
  };
}

/** One decoded API call. */
export interface Call<I = Record<string, unknown>> {
  /** SigV4 signing name, lower case: `sts`, `iam`, `ec2`, `cloudformation`, `sns`, `sqs`, `s3`, `kinesis`. */
  service: string;
  /** Operation name as in the model, e.g. `RunInstances`. */
  action: string;
  region: string;
  input: I;
  caller: Caller;
  requestId: string;
  sourceIp: string;
  /** The request's User-Agent header (absent on calls between services). */
  userAgent?: string;
  /** True when the request was signed in its query string (a presigned URL). */
  presigned?: boolean;
}

/**
 * One authorization decision, like an event of CloudTrail's history: who asked for which
 * action on which resource, during which operation, and what IAM answered.
 */
export interface AuthorizationEvent {
  /** The caller's account. */
  accountId: string;
  /** The caller (`…:assumed-role/ROLE/SESSION`, `…:user/NAME`, `…:root`). */
  callerArn: string;
  /** `aws:PrincipalArn`: the role ARN for sessions. */
  principalArn: string;
  /** The IAM action decided, e.g. `iam:PassRole` during `ec2:CreateFleet`. */
  action: string;
  resource: string;
  /** The operation of the request, `service:Operation`. */
  operation: string;
  allowed: boolean;
  /** EC2's DryRun: permission checked, nothing done. */
  dryRun: boolean;
  userAgent: string;
  presigned: boolean;
}

export interface AuthorizeOptions {
  /** Extra condition keys for this request (global keys such as aws:PrincipalArn are added by core). */
  context?: RequestContext;
  /** The target resource's policy (trust, bucket, topic, queue policy). */
  resourcePolicy?: NamedPolicy;
  /** Owner of the resource, when it is not the ARN's account. */
  resourceAccount?: string;
}

/** A fault injected through `POST /_localcloud/faults`. */
export type Fault = FaultDefinition & {
  /**
   * How many times it took effect: calls failed (`error`, `unavailable`), IAM changes held
   * back (`iam-propagation-delay`), launches and starts delayed (`boot-delay`), instances
   * interrupted (`interrupt-instance`).
   */
  fired: number;
};

export type FaultDefinition =
  | {
      id: string;
      kind: 'error';
      service: string;
      action?: string;
      error: string;
      /** Probability per matching call, 0 … 1 (default 1). */
      rate: number;
      instanceType?: string;
      availabilityZone?: string;
      /** Remaining times this fault fires (unbounded when absent). */
      count?: number;
    }
  | { id: string; kind: 'iam-propagation-delay'; seconds: number }
  | { id: string; kind: 'boot-delay'; seconds: number }
  | { id: string; kind: 'interrupt-instance'; instanceId: string }
  | { id: string; kind: 'unavailable'; seconds: number; until: number };

export interface Faults {
  list(): Fault[];
  /** Seeded, deterministic random number in [0, 1). */
  random(): number;
  /**
   * Throws the matching `error` fault for this call, if any fires. Core calls it before
   * every handler; EC2 calls it again per (instanceType, availabilityZone) with `detail`.
   */
  check(
    service: string,
    action: string,
    detail?: { instanceType?: string; availabilityZone?: string },
  ): void;
  /** Subscribe to newly added faults (e.g. EC2 reacts to interrupt-instance). */
  onAdded(listener: (fault: Fault) => void): void;
  /** Counts one effect of a fault a service applies itself (boot-delay, interrupt-instance). */
  fired(fault: Fault): void;
}

export interface Logger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  debug(msg: string, data?: Record<string, unknown>): void;
}

/** What every handler gets: shared state, authorization, cross-service calls. */
export interface Cloud {
  /** The loopback host localcloud listens on and its base URL, e.g. `http://127.0.0.1:4566`. */
  readonly host: string;
  readonly baseUrl: string;
  /** Where services keep data of their own across restarts (`--state-dir`); absent = memory only. */
  readonly stateDir?: string;
  /**
   * JSON-serialisable state of one service in one account and region (`region` = "global"
   * for IAM). Created with `init` on first use; persisted as-is with `--state-dir`.
   */
  state<T extends object>(service: string, accountId: string, region: string, init: () => T): T;
  /**
   * Evaluates `action` on `resource` for the call's caller with @ferry/iam; throws the
   * service's own denial error (AccessDenied, UnauthorizedOperation with an encoded message,
   * AccessDeniedException) and logs the deciding statements.
   */
  authorize(
    call: Call<unknown>,
    action: string,
    resource: string,
    options?: AuthorizeOptions,
  ): void;
  /**
   * Runs another service's operation as `caller`, with authorization, without HTTP (the
   * CloudFormation engine provisions resources this way).
   */
  invoke<O = Record<string, unknown>>(
    service: string,
    action: string,
    input: Record<string, unknown>,
    caller: Caller,
    region: string,
  ): Promise<O>;
  /**
   * Delivers a message as an AWS service principal to the resource named by `targetArn`
   * (its service's `deliver`); never throws for AWS-side failures.
   */
  deliver(delivery: ServiceDelivery): DeliveryResult;
  /** Looks up a caller by access key id (users' keys and live session credentials). */
  callerForAccessKey(accessKeyId: string): Caller | undefined;
  readonly faults: Faults;
  readonly log: Logger;
  now(): number;
  /** Accounts and every accepted credential (users' access keys, STS sessions). */
  readonly credentials: CredentialStore;
  /**
   * Every stored state object of a service across accounts and regions (e.g. EC2 walks its
   * instances at start after a restart, and for `GET /_localcloud/instances`).
   */
  stateEntries(service: string): { accountId: string; region: string; state: object }[];
  /**
   * A service's in-memory objects for this cloud only (running operations, waiters, signing
   * keys, settings): never persisted, created with `init` on first use. Each `start()` has
   * its own, so two localclouds in one process share nothing.
   */
  runtime<T>(name: string, init: () => T): T;
  /**
   * Asks for the state to be persisted (debounced). Core persists after every API call on
   * its own; call this after changes made outside a call (timers, processes exiting).
   */
  markChanged(): void;
  /**
   * Seconds of the active `iam-propagation-delay` fault (0 when none): IAM entities and
   * keys younger than this are not yet visible to authentication and STS.
   */
  propagationDelaySeconds(): number;
  /**
   * False for an IAM change made at `createdAt` (epoch ms) that has not propagated yet
   * (made after an `iam-propagation-delay` fault was added, less than its seconds ago).
   */
  isPropagated(createdAt: number): boolean;
}

/** A modelled operation's implementation; may answer synchronously. */
export type Handler = (
  call: Call,
  cloud: Cloud,
) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** A raw HTTP request, for services that forward (S3, Kinesis) and for extra routes. */
export interface RawRequest {
  method: string;
  /** Path without query string, not decoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  sourceIp: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** An HTTP route outside the AWS protocols (console pages, custom-resource responses). */
export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Matched as a prefix of the request path. */
  pathPrefix: string;
  handle(request: RawRequest, cloud: Cloud): Promise<RawResponse>;
}

export interface ServiceDefinition {
  /** SigV4 signing name. */
  name: string;
  /**
   * Modelled operations, decoded and encoded by core's protocol layer (awsQuery, ec2Query,
   * awsJson) from `models/<name>.json`.
   */
  handlers?: Record<string, Handler>;
  /**
   * For S3 and Kinesis: the service authenticates via core (caller resolved) but handles the
   * request itself (authorize, then forward to s3rver/kinesalite).
   */
  forward?: (
    request: RawRequest,
    call: Omit<Call, 'action' | 'input'>,
    cloud: Cloud,
  ) => Promise<RawResponse>;
  /** Extra unauthenticated routes. */
  routes?: Route[];
  /**
   * Resolves non-root credentials to the Caller (IAM provides it: policies and tags live
   * there). Core uses the first service that defines it.
   */
  resolveCaller?(record: CredentialRecord, cloud: Cloud): Caller | undefined;
  /**
   * Started with the server after persisted state is loaded (e.g. s3rver, kinesalite, the
   * instance supervisor, which may inspect `stateEntries` to restore instances).
   */
  start?(cloud: Cloud): Promise<void>;
  stop?(): Promise<void>;
  /** Takes a message another service sends as a service principal (see `Cloud.deliver`). */
  deliver?(delivery: ServiceDelivery, cloud: Cloud): DeliveryResult;
}
