import { newId } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { createFerryClient } from './client.ts';
import { FerryApiError } from './ferry-api-error.ts';

/** Records requests and answers with canned responses (the network is not under test here). */
function recorder(respond: (url: string, init: RequestInit) => Response) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    calls.push({ url, init: init ?? {} });
    return Promise.resolve(respond(url, init ?? {}));
  };
  return { calls, fetch: f };
}

const org = {
  id: newId('org'),
  name: 'acme',
  role: 'admin',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('createFerryClient', () => {
  it('fills the path, sends the token, body and idempotency key, and parses the response', async () => {
    const r = recorder(() => Response.json(org, { status: 200 }));
    const client = createFerryClient({
      baseUrl: 'http://h:1/',
      token: 'ferry_pat_x',
      fetch: r.fetch,
    });
    const got = await client.call('orgs.update', {
      params: { orgId: org.id },
      body: { name: 'acme' },
    });
    expect(got.id).toBe(org.id);
    expect(r.calls[0]?.url).toBe(`http://h:1/api/v1/orgs/${org.id}`);
    const headers = r.calls[0]?.init.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer ferry_pat_x');
    expect(r.calls[0]?.init.method).toBe('PATCH');

    await client.call('orgs.create', { body: { name: 'x' }, idempotencyKey: 'k1' }).catch(() => {});
    expect((r.calls[1]?.init.headers as Record<string, string>)['idempotency-key']).toBe('k1');
  });

  it('throws FerryApiError with the server code, details and request id', async () => {
    const body = {
      error: {
        code: 'validation_failed',
        message: 'Invalid request',
        details: [{ path: 'body.name', message: 'Required' }],
        requestId: 'req_1',
      },
    };
    const r = recorder(() => Response.json(body, { status: 400 }));
    const client = createFerryClient({ baseUrl: 'http://h:1', fetch: r.fetch });
    const err = await client.call('orgs.create', { body: { name: '' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryApiError);
    const e = err as FerryApiError;
    expect([e.code, e.status, e.requestId, e.details[0]?.path]).toEqual([
      'validation_failed',
      400,
      'req_1',
      'body.name',
    ]);
  });

  it('reports a response that breaks the contract', async () => {
    const r = recorder(() => Response.json({ id: 'nope' }));
    const client = createFerryClient({ baseUrl: 'http://h:1', fetch: r.fetch });
    await expect(client.call('orgs.get', { params: { orgId: org.id } })).rejects.toMatchObject({
      code: 'invalid_response',
    });
  });

  it('encodes query parameters', async () => {
    const r = recorder(() => Response.json({ items: [], nextCursor: null }));
    const client = createFerryClient({ baseUrl: 'http://h:1', fetch: r.fetch });
    await client.call('orgs.list', { query: { limit: 5, cursor: 'a b' } });
    expect(r.calls[0]?.url).toBe('http://h:1/api/v1/orgs?limit=5&cursor=a+b');
  });
});
