import { describe, expect, it } from 'vitest';
import { compareRuns, outcomeDifferences } from './shape-diff.ts';
import { shapeOf } from './shape-of.ts';

describe('differences by JSON path', () => {
  it('names each differing member, so one allowed difference hides no other', () => {
    const ours = { ok: shapeOf({ Roles: [{ Description: 'd', Arn: 'a' }], IsTruncated: false }) };
    const theirs = { ok: shapeOf({ Roles: [{ Arn: 'a' }] }) };
    expect(outcomeDifferences(ours, theirs)).toEqual([
      { path: '$.IsTruncated', ours: 'boolean', theirs: 'absent' },
      { path: '$.Roles[].Description', ours: 'string', theirs: 'absent' },
    ]);
    expect(outcomeDifferences(ours, ours)).toEqual([]);
  });

  it('tells success from error, and one error code from another', () => {
    expect(outcomeDifferences({ error: 'ValidationError' }, { ok: {} })).toEqual([
      { path: '$', ours: 'error ValidationError', theirs: 'success' },
    ]);
    expect(outcomeDifferences({ error: 'A' }, { error: 'B' })).toEqual([
      { path: '$.error', ours: 'A', theirs: 'B' },
    ]);
  });

  it('reports every difference of a run with the allowed ones counted', () => {
    const { differences, report } = compareRuns(
      { Step: { ok: shapeOf({ A: 1, B: 'x' }) } },
      { Step: { ok: shapeOf({ A: 'one' }) } },
      { 'Step $.B': 'the other side omits B' },
    );
    expect(Object.keys(differences).sort()).toEqual(['Step $.A', 'Step $.B']);
    expect(report.join('\n')).toContain('Step $.B: 1× (the other side omits B)');
  });
});
