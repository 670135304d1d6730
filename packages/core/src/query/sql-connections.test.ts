import { describe, expect, it } from 'vitest';
import { checkSqlSafety } from './plan-safety.ts';
import {
  connectionLocation,
  connectionPathProblem,
  replaceSqlConnectionCalls,
  sqlConnectionCalls,
} from './sql-connections.ts';

describe('connection(…) in SQL', () => {
  it('finds each call with its name and path, past comments and case', () => {
    const sql = `SELECT * FROM connection('sales', 'events/*.parquet') a
      JOIN /* connection('x', 'y') */ CONNECTION ( 'ops' , '2026/a.parquet' ) b ON a.k = b.k
      -- connection('z', 'w')
      WHERE "connection" = 'connection(''q'', ''r'')'`;
    const { calls, violations } = sqlConnectionCalls(sql);
    expect(violations).toEqual([]);
    expect(calls.map((c) => [c.name, c.path])).toEqual([
      ['sales', 'events/*.parquet'],
      ['ops', '2026/a.parquet'],
    ]);
    const rewritten = replaceSqlConnectionCalls(sql, calls, (_c, i) => `t${i}`);
    expect(rewritten).toContain('FROM t0 a');
    expect(rewritten).toContain('JOIN /* connection(');
    expect(rewritten).toContain(' t1 b ON');
  });

  it('refuses malformed calls and paths that leave the connection, naming where', () => {
    const cases: [string, string, string][] = [
      ["SELECT * FROM connection('sales')", 'malformed_connection_call', 'sql.connection[0]'],
      ['SELECT * FROM connection(sales, x)', 'malformed_connection_call', 'sql.connection[0]'],
      [
        "SELECT * FROM connection('sales', '../private/x.parquet')",
        'path_outside_connection',
        'sql.connection[0].path',
      ],
      [
        "SELECT * FROM connection('sales', 's3://other/x.parquet')",
        'path_outside_connection',
        'sql.connection[0].path',
      ],
      [
        "SELECT * FROM connection('sales', '/x.parquet')",
        'path_outside_connection',
        'sql.connection[0].path',
      ],
    ];
    for (const [sql, code, path] of cases) {
      expect(
        checkSqlSafety(sql).map((v) => [v.code, v.path]),
        sql,
      ).toEqual([[code, path]]);
    }
  });

  it('paths are relative to the prefix', () => {
    expect(connectionPathProblem('2026/*.parquet')).toBeNull();
    expect(connectionPathProblem('a/./b')).toMatch(/segment/);
    expect(connectionPathProblem('')).toMatch(/empty/);
    expect(connectionLocation({ bucket: 'b', prefix: 'events/' }, '2026/*.parquet')).toBe(
      's3://b/events/2026/*.parquet',
    );
    expect(connectionLocation({ bucket: 'b', prefix: '' }, 'x.parquet')).toBe('s3://b/x.parquet');
  });
});
