/**
 * The typed HTTP client of the ferry API, used by the SDK, the CLI and the dashboard. Every
 * call is checked against the shared contracts: inputs by the compiler, responses at run
 * time (a server that drifts from the contract is reported, not silently trusted).
 */
import type { z } from 'zod';
import { errorResponseSchema } from './common.ts';
import { contracts, type Contracts, type RouteName } from './contracts.ts';
import type { RouteContract } from './contract.ts';
import { FerryApiError } from './ferry-api-error.ts';

type InputOf<C extends RouteContract> = (C extends { params: z.ZodType }
  ? { params: z.input<C['params']> }
  : unknown) &
  (C extends { query: z.ZodType } ? { query?: z.input<C['query']> } : unknown) &
  (C extends { body: z.ZodType } ? { body: z.input<C['body']> } : unknown) &
  (C extends { idempotent: true } ? { idempotencyKey?: string } : unknown) & {
    signal?: AbortSignal;
  };

/** What a route takes from the caller. */
export type CallInput<N extends RouteName> = InputOf<Contracts[N]>;
/** What a route returns. */
export type CallOutput<N extends RouteName> = Contracts[N] extends { response: z.ZodType }
  ? z.output<Contracts[N]['response']>
  : undefined;

type Args<N extends RouteName> = Contracts[N] extends { params: z.ZodType } | { body: z.ZodType }
  ? [input: CallInput<N>]
  : [input?: CallInput<N>];

/** Options of `createFerryClient`. */
export interface FerryClientOptions {
  /** Where the control plane listens, e.g. `https://ferry.example.com`. */
  readonly baseUrl: string;
  /** A personal access token or service-account access token (or a function returning one). */
  readonly token?: string | (() => string | Promise<string>);
  /** Extra headers on every request (e.g. `x-csrf-token` for a cookie session). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/** A typed client: `client.call('orgs.create', { body: { name } })`. */
export interface FerryClient {
  call<N extends RouteName>(name: N, ...args: Args<N>): Promise<CallOutput<N>>;
}

function fillPath(path: string, params: Record<string, unknown> | undefined): string {
  return path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    const value = params?.[key];
    if (typeof value !== 'string' || value === '')
      throw new TypeError(`Missing path parameter ${key}`);
    return encodeURIComponent(value);
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (query === undefined) return '';
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      search.set(k, String(v));
    }
  }
  const s = search.toString();
  return s === '' ? '' : `?${s}`;
}

/** Creates a typed client for the ferry API. */
export function createFerryClient(options: FerryClientOptions): FerryClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.baseUrl.replace(/\/+$/, '');

  async function call(name: RouteName, input?: Record<string, unknown>): Promise<unknown> {
    const contract: RouteContract = contracts[name];
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (contract.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input?.body ?? {});
    }
    if (typeof input?.idempotencyKey === 'string')
      headers['idempotency-key'] = input.idempotencyKey;
    const url =
      base +
      fillPath(contract.path, input?.params as Record<string, unknown> | undefined) +
      queryString(input?.query as Record<string, unknown> | undefined);
    const response = await doFetch(url, {
      method: contract.method,
      headers,
      body,
      signal: input?.signal as AbortSignal | undefined,
    });
    const text = await response.text();
    const requestId = response.headers.get('x-request-id') ?? undefined;
    let json: unknown = undefined;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new FerryApiError({
          code: 'invalid_response',
          status: response.status,
          message: `${name}: the server answered ${response.status} with a body that is not JSON`,
          requestId,
          cause,
        });
      }
    }
    if (!response.ok) {
      const parsed = errorResponseSchema.safeParse(json);
      if (!parsed.success) {
        throw new FerryApiError({
          code: 'http_error',
          status: response.status,
          message: `${name}: the server answered ${response.status}`,
          requestId,
        });
      }
      const e = parsed.data.error;
      throw new FerryApiError({
        code: e.code,
        status: response.status,
        message: e.message,
        details: e.details ?? [],
        requestId: e.requestId,
      });
    }
    if (contract.response === undefined) return undefined;
    const result = contract.response.safeParse(json);
    if (!result.success) {
      throw new FerryApiError({
        code: 'invalid_response',
        status: response.status,
        message: `${name}: the response does not match the API contract`,
        details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        requestId,
      });
    }
    return result.data;
  }

  return { call: call as FerryClient['call'] };
}
