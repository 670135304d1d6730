import { describe, expect, it } from 'vitest';
import { newId } from '@ferry/core';
import { registerNodeBodySchema, registeredNodeSchema } from './compute.ts';
import {
  headUploadBodySchema,
  queryReportBodySchema,
  workPollAnswerSchema,
} from './worker-wire.ts';

describe('worker wire', () => {
  it('registration carries the query endpoint and its answer the query fields, both optional', () => {
    const body = {
      bootstrapToken: `ferry_boot_${'a'.repeat(30)}`,
      clusterId: newId('cluster'),
      instanceId: 'i-0123456789abcdef0',
    };
    expect(registerNodeBodySchema.safeParse(body).success).toBe(true);
    expect(
      registerNodeBodySchema.safeParse({
        ...body,
        query: { port: 5051, tlsFingerprint: 'a'.repeat(64) },
      }).success,
    ).toBe(true);
    const bad = registerNodeBodySchema.safeParse({
      ...body,
      query: { port: 5051, tlsFingerprint: 'AB' },
    });
    expect(bad.error?.issues[0]?.path).toEqual(['query', 'tlsFingerprint']);
    const answer = registeredNodeSchema.parse({
      nodeToken: 't',
      heartbeatSeconds: 30,
      idleTimeoutMins: 60,
      queryTokenPublicKey: '-----BEGIN PUBLIC KEY-----',
      connectionMode: 'direct',
      resultsBucket: 'ferry-123456789012-ws-x-results',
    });
    expect(answer.connectionMode).toBe('direct');
  });

  it('a report, a work answer and a head upload parse', () => {
    const queryId = newId('query');
    expect(
      queryReportBodySchema.safeParse({
        clusterId: newId('cluster'),
        instanceId: 'i-1',
        mode: 'direct',
        actorId: 'usr_1',
        kind: 'sql',
        state: 'Running',
        queuedAt: new Date().toISOString(),
        startedAt: new Date().toISOString(),
        finishedAt: null,
        error: null,
        optimizedPlan: null,
        rowCount: null,
        bytes: null,
        location: null,
        schema: null,
        headRows: null,
        profile: null,
        labels: {},
      }).success,
    ).toBe(true);
    expect(
      workPollAnswerSchema.safeParse({
        queries: [
          {
            queryId,
            actorId: 'usr_1',
            envelope: {
              ferryVersion: '0.1.0',
              polarsVersion: '0.26.1',
              format: 'polars-json',
              kind: 'sql',
              sql: 'SELECT 1',
            },
          },
        ],
        cancel: [queryId],
      }).success,
    ).toBe(true);
    expect(
      headUploadBodySchema.safeParse({ arrowIpcBase64: 'QUJD', rows: 1, resultUrls: null }).success,
    ).toBe(true);
    expect(
      headUploadBodySchema.safeParse({ arrowIpcBase64: '!!', rows: 1, resultUrls: null }).success,
    ).toBe(false);
  });
});
