import { FerryApiError } from '@ferry/api';
import { describe, expect, it } from 'vitest';
import { sdkErrorOf } from './control-plane.ts';
import {
  ClusterUnavailableError,
  FerryAuthError,
  FerryError,
  NotFoundError,
  PlanRefusedError,
} from './errors.ts';

const apiError = (status: number, code: string, message: string) =>
  new FerryApiError({ status, code, message });

describe('sdkErrorOf', () => {
  it('maps a 404 to NotFoundError naming what is missing, never to ClusterUnavailableError', () => {
    const cases: [string, string, string][] = [
      ['connections.get', 'No connection named "trips" in this workspace.', 'connection'],
      ['queries.wait', 'Query qry_1 was not found.', 'query'],
      ['queries.head', 'The head of query qry_1 was already fetched.', 'query'],
      ['compute.get', 'Cluster cls_1 was not found.', 'cluster'],
      ['queries.connect', 'Cluster cls_1 was not found.', 'cluster'],
      ['queries.connect', 'No such workspace.', 'workspace'],
      ['manifests.get', 'Manifest nightly was not found.', 'manifest'],
      // The message names nothing: the route says what it was about.
      ['connections.delete', 'Not found.', 'connection'],
      ['queries.submit', 'Not found.', 'cluster'],
      ['queries.profile', 'Not found.', 'query'],
      ['auth.me', 'Not found.', 'resource'],
    ];
    for (const [route, message, resource] of cases) {
      const e = sdkErrorOf(apiError(404, 'not_found', message), route);
      expect(e, `${route}: ${message}`).toBeInstanceOf(NotFoundError);
      expect(e).not.toBeInstanceOf(ClusterUnavailableError);
      expect(e).toMatchObject({ code: 'not_found', status: 404, resource, message });
      expect((e as NotFoundError).retryable).toBe(false);
      expect((e as NotFoundError).name).toBe('NotFoundError');
    }
  });

  it('keeps the other classes by code and status', () => {
    expect(
      sdkErrorOf(apiError(409, 'cluster_not_live', 'stopped'), 'queries.submit'),
    ).toBeInstanceOf(ClusterUnavailableError);
    expect(sdkErrorOf(apiError(409, 'no_query_node', 'none'), 'queries.connect')).toBeInstanceOf(
      ClusterUnavailableError,
    );
    expect(sdkErrorOf(apiError(401, 'unauthenticated', 'who'), 'auth.me')).toBeInstanceOf(
      FerryAuthError,
    );
    expect(sdkErrorOf(apiError(400, 'plan_refused', 'no'), 'queries.submit')).toBeInstanceOf(
      PlanRefusedError,
    );
    const other = sdkErrorOf(apiError(409, 'name_taken', 'taken'), 'connections.create');
    expect(other).toBeInstanceOf(FerryError);
    expect(other).not.toBeInstanceOf(NotFoundError);
    const plain = new Error('socket hang up');
    expect(sdkErrorOf(plain)).toBe(plain);
  });
});
