import { describe, expect, it } from 'vitest';
import { partsText, substituteVariables, variableProblem } from './variables.ts';

const context: Record<string, string> = {
  'aws:username': 'alice',
  'aws:principaltag/team': 'red',
};
const resolve = (key: string): string | undefined => context[key.toLowerCase()];

describe('policy variables', () => {
  it('substitutes keys case-insensitively, as literal parts', () => {
    expect(substituteVariables('home/${aws:username}/*', resolve)).toEqual([
      { text: 'home/', literal: false },
      { text: 'alice', literal: true },
      { text: '/*', literal: false },
    ]);
    expect(
      partsText(substituteVariables('${AWS:PrincipalTag/team}-${aws:username}', resolve)!),
    ).toBe('red-alice');
  });

  it('uses the default when the key is missing, and fails without one', () => {
    // IAM User Guide: "${aws:PrincipalTag/team, 'company-wide'}".
    expect(
      partsText(substituteVariables("${aws:PrincipalTag/dept, 'company-wide'}", resolve)!),
    ).toBe('company-wide');
    expect(partsText(substituteVariables("${aws:username, 'nobody'}", resolve)!)).toBe('alice');
    expect(substituteVariables('${aws:userid}', resolve)).toBeUndefined();
  });

  it('turns the escapes into literal characters', () => {
    expect(substituteVariables('a${*}b${?}c${$}', resolve)).toEqual([
      { text: 'a', literal: false },
      { text: '*', literal: true },
      { text: 'b', literal: false },
      { text: '?', literal: true },
      { text: 'c', literal: false },
      { text: '$', literal: true },
    ]);
  });

  it('leaves text without variables (or with an unterminated one) alone', () => {
    expect(substituteVariables('plain*', resolve)).toEqual([{ text: 'plain*', literal: false }]);
    expect(substituteVariables('a${b', resolve)).toEqual([{ text: 'a${b', literal: false }]);
    expect(variableProblem('a${b')).toMatch(/unterminated/);
    expect(variableProblem('${ }')).toMatch(/empty/);
    expect(variableProblem('${aws:username}')).toBeUndefined();
  });
});
