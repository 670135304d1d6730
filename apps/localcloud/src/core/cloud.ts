/**
 * The Cloud every handler gets: state, credentials, authorization, faults, cross-service
 * invocation. Built once per server from the registered services.
 */
import { randomUUID } from 'node:crypto';
import type {
  AuthorizationEvent,
  AuthorizeOptions,
  Call,
  Caller,
  Cloud,
  Logger,
  ServiceDefinition,
} from './contract.ts';
import { AwsError } from './contract.ts';
import { authorizeCall } from './authorizer.ts';
import type { CredentialRecord, CredentialStore } from './credential-store.ts';
import { createCredentialStore } from './credential-store.ts';
import type { FaultRegistry } from './faults.ts';
import { createFaults } from './faults.ts';
import { serviceOfArn } from './service-delivery.ts';
import type { StateStore } from './state-store.ts';

/** The Cloud plus what only core uses. */
export interface CloudInternals extends Cloud {
  readonly faultRegistry: FaultRegistry;
  readonly store: StateStore;
  readonly services: Map<string, ServiceDefinition>;
  /** The caller of any credential record (root handled here, the rest by IAM). */
  callerForRecord(record: CredentialRecord): Caller | undefined;
  /** True when a handler called `authorize` during this call. */
  wasAuthorized(call: Call<unknown>): boolean;
  setBaseUrl(host: string, baseUrl: string): void;
}

/** The root user of an account (the account's own credentials; never handed out by the admin API). */
export function rootCaller(accountId: string, accessKeyId = ''): Caller {
  return {
    accountId,
    arn: `arn:aws:iam::${accountId}:root`,
    principalArn: `arn:aws:iam::${accountId}:root`,
    userId: accountId,
    kind: 'root',
    accessKeyId,
    identityPolicies: [],
    sessionPolicies: [],
    principalTags: {},
  };
}

export interface CloudOptions {
  services: ServiceDefinition[];
  store: StateStore;
  log: Logger;
  now?: () => number;
  seed?: number;
  stateDir?: string;
  /** Told every authorization decision (tests record what a principal was allowed). */
  onAuthorization?: (event: AuthorizationEvent) => void;
}

/** Creates the cloud. */
export function createCloud(options: CloudOptions): CloudInternals {
  const now = options.now ?? Date.now;
  const services = new Map(options.services.map((s) => [s.name, s]));
  const faultRegistry = createFaults(now, options.seed);
  const credentials: CredentialStore = createCredentialStore(options.store);
  const authorized = new WeakSet<object>();
  const runtimes = new Map<string, unknown>();
  const resolver = options.services.find((s) => s.resolveCaller !== undefined);
  let host = '127.0.0.1';
  let baseUrl = 'http://127.0.0.1';

  const cloud: CloudInternals = {
    get host() {
      return host;
    },
    get baseUrl() {
      return baseUrl;
    },
    setBaseUrl(h, url) {
      host = h;
      baseUrl = url;
    },
    stateDir: options.stateDir,
    faultRegistry,
    faults: faultRegistry,
    store: options.store,
    services,
    log: options.log,
    credentials,
    now,
    state: (service, accountId, region, init) =>
      options.store.get(service, accountId, region, init),
    stateEntries: (service) => options.store.entries(service),
    runtime<T>(name: string, init: () => T): T {
      if (!runtimes.has(name)) runtimes.set(name, init());
      return runtimes.get(name) as T;
    },
    markChanged: () => options.store.markDirty(),
    propagationDelaySeconds: () => faultRegistry.propagationDelaySeconds(),
    isPropagated: (createdAt) => faultRegistry.isPropagated(createdAt),
    authorize(call: Call<unknown>, action: string, resource: string, opts?: AuthorizeOptions) {
      authorized.add(call);
      const listener = options.onAuthorization;
      if (!listener) return authorizeCall(call, action, resource, now(), options.log, opts);
      const event = (allowed: boolean): AuthorizationEvent => ({
        accountId: call.caller.accountId,
        callerArn: call.caller.arn,
        principalArn: call.caller.principalArn,
        action,
        resource,
        operation: `${call.service}:${call.action}`,
        allowed,
        dryRun: (call.input as { DryRun?: unknown } | undefined)?.DryRun === true,
        userAgent: call.userAgent ?? '',
        presigned: call.presigned === true,
      });
      try {
        authorizeCall(call, action, resource, now(), options.log, opts);
      } catch (err) {
        listener(event(false));
        throw err;
      }
      listener(event(true));
    },
    wasAuthorized: (call) => authorized.has(call),
    callerForRecord(record) {
      if (record.principal.type === 'root') return rootCaller(record.accountId, record.accessKeyId);
      return resolver?.resolveCaller?.call(resolver, record, cloud);
    },
    deliver(delivery) {
      const target = serviceOfArn(delivery.targetArn);
      const service = target === undefined ? undefined : services.get(target);
      if (!service?.deliver)
        return { ok: false, reason: `no service delivers to ${delivery.targetArn}` };
      return service.deliver(delivery, cloud);
    },
    callerForAccessKey(accessKeyId) {
      const record = credentials.get(accessKeyId);
      if (!record || record.status !== 'Active') return undefined;
      if (record.expiresAt !== undefined && record.expiresAt <= now()) return undefined;
      return cloud.callerForRecord(record);
    },
    async invoke<O>(
      service: string,
      action: string,
      input: Record<string, unknown>,
      caller: Caller,
      region: string,
    ): Promise<O> {
      const handler = services.get(service)?.handlers?.[action];
      if (!handler)
        throw new AwsError('InvalidAction', `The action ${action} is not valid for ${service}`);
      const call: Call = {
        service,
        action,
        region,
        input,
        caller,
        requestId: randomUUID(),
        sourceIp: '127.0.0.1',
      };
      const out = await handler(call, cloud);
      options.store.markDirty();
      return out as O;
    },
  };
  return cloud;
}
