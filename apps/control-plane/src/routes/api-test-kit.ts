/**
 * Test helpers for the API: users with cheap password hashes, sessions and tokens, and a
 * caller that speaks the contracts through `app.inject` (in process, no socket) and fails on
 * an error status the route's OpenAPI responses do not list.
 */
import { contracts, errorStatusesOf, type RouteName } from '@ferry/api';
import type { FastifyInstance } from 'fastify';
import type { Resources } from '../resources.ts';
import { createPersonalToken } from '../identity/personal-tokens.ts';
import { createSession, csrfTokenFor, SESSION_COOKIE } from '../identity/sessions.ts';
import { createUser } from '../identity/users.ts';
import { PERMISSIONS, type Permission } from '@ferry/core';

/** A cheap scrypt cost for tests only (verification reads the cost from the hash). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** A password every test user has. */
export const TEST_PASSWORD = 'correct horse battery staple';

/** What a test request got back. */
export interface TestResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly raw: string;
}

/** Input of a contract call in tests: loose, so tests can also send bad input. */
export interface TestCall {
  params?: Record<string, string>;
  query?: Record<string, string | number>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Someone calling the API. */
export interface TestCaller {
  readonly userId: string;
  readonly email: string;
  readonly headers: Record<string, string>;
  call(name: RouteName, input?: TestCall): Promise<TestResponse>;
}

/** The URL of a contract with its path parameters filled in. */
export function urlOf(
  name: RouteName,
  params: Record<string, string> = {},
  query: TestCall['query'] = {},
): string {
  const path = contracts[name].path.replace(/:([A-Za-z]+)/g, (_, k: string) =>
    encodeURIComponent(params[k] ?? `missing-${k}`),
  );
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return qs === '' ? path : `${path}?${qs}`;
}

/** Calls a contract through `app.inject` with the given headers. */
export async function injectCall(
  app: FastifyInstance,
  name: RouteName,
  headers: Record<string, string>,
  input: TestCall = {},
): Promise<TestResponse> {
  const c = contracts[name];
  const hasBody = input.body !== undefined;
  const res = await app.inject({
    method: c.method,
    url: urlOf(name, input.params, input.query),
    headers: {
      ...headers,
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...input.headers,
    },
    ...(hasBody
      ? { payload: typeof input.body === 'string' ? input.body : JSON.stringify(input.body) }
      : {}),
  });
  let body: unknown;
  try {
    body = res.body === '' ? undefined : JSON.parse(res.body);
  } catch {
    body = res.body;
  }
  // The OpenAPI document lists every client error a route answers: each one seen here must be.
  const documented: readonly number[] = errorStatusesOf(c);
  if (res.statusCode >= 400 && res.statusCode < 500 && !documented.includes(res.statusCode)) {
    throw new Error(
      `${name} answered ${res.statusCode}, which its OpenAPI responses do not list (${documented.join(', ')}): declare it in the contract's errors`,
    );
  }
  return { status: res.statusCode, body, headers: res.headers, raw: res.body };
}

function callerOf(
  app: FastifyInstance,
  userId: string,
  email: string,
  headers: Record<string, string>,
): TestCaller {
  return { userId, email, headers, call: (name, input) => injectCall(app, name, headers, input) };
}

let counter = 0;

/** A unique email for a test user. */
export function testEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${counter}-${Date.now().toString(36)}@example.com`;
}

/** Creates a user and signs them in with a dashboard session (cookie + CSRF header). */
export async function sessionUser(
  app: FastifyInstance,
  resources: Resources,
  options: { email?: string; instanceAdmin?: boolean } = {},
): Promise<TestCaller> {
  const email = options.email ?? testEmail();
  const now = resources.clock.now();
  const user = await createUser(resources.db, {
    email,
    name: email.split('@')[0] ?? 'user',
    password: TEST_PASSWORD,
    instanceAdmin: options.instanceAdmin ?? false,
    now,
    scrypt: TEST_SCRYPT,
  });
  const session = await createSession(resources.db, user.id, now);
  return callerOf(app, user.id, user.email, {
    cookie: `${SESSION_COOKIE}=${session.token}`,
    'x-csrf-token': csrfTokenFor(session.token),
  });
}

/** A caller using a personal access token of the user (all scopes unless given). */
export async function tokenCaller(
  app: FastifyInstance,
  resources: Resources,
  user: TestCaller,
  scopes: readonly Permission[] = PERMISSIONS,
): Promise<TestCaller> {
  const { secret } = await createPersonalToken(resources.db, {
    userId: user.userId,
    name: 'test',
    scopes,
    expiresInDays: 1,
    now: resources.clock.now(),
  });
  return callerOf(app, user.userId, user.email, { authorization: `Bearer ${secret}` });
}

/** A caller with a raw bearer token (service accounts). */
export function bearerCaller(app: FastifyInstance, token: string): TestCaller {
  return callerOf(app, '', '', { authorization: `Bearer ${token}` });
}
