/** Matching a request's principal against a Principal / NotPrincipal element. */
import { parseArn } from './arn.ts';
import type { PrincipalElement, RequestPrincipal } from './types.ts';

/**
 * How a principal element named the caller. It decides what a resource policy grant is
 * worth: an `account` grant only delegates to the account's own IAM policies, while the
 * others grant the caller directly (AWS, "Policy evaluation logic").
 */
export type PrincipalMatchKind =
  /** `"*"` or `{"AWS": "*"}`. */
  | 'wildcard'
  /** An account id or `arn:aws:iam::ACCT:root`. */
  | 'account'
  /** The user's ARN, or the role's ARN for a session of that role. */
  | 'principal'
  /** The session's own ARN (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`). */
  | 'session'
  /** A service principal such as `ec2.amazonaws.com`. */
  | 'service'
  /** A Federated or CanonicalUser principal. */
  | 'other';

const ACCOUNT_ID = /^\d{12}$/;

function matchAwsValue(value: string, principal: RequestPrincipal): PrincipalMatchKind | undefined {
  if (value === '*') return 'wildcard';
  if (ACCOUNT_ID.test(value)) return value === principal.accountId ? 'account' : undefined;
  const arn = parseArn(value);
  if (arn && arn.service === 'iam' && arn.resource === 'root') {
    return arn.accountId === principal.accountId ? 'account' : undefined;
  }
  if (value === principal.arn)
    return principal.arn === principal.principalArn ? 'principal' : 'session';
  if (value === principal.principalArn) return 'principal';
  return undefined;
}

/** How `element` names the caller, or undefined when it does not. */
export function matchPrincipal(
  element: PrincipalElement,
  principal: RequestPrincipal,
): PrincipalMatchKind | undefined {
  if (element === '*') return 'wildcard';
  let best: PrincipalMatchKind | undefined;
  const consider = (kind: PrincipalMatchKind | undefined): void => {
    // A direct grant is worth more than an account delegation; keep the strongest.
    if (kind && (best === undefined || best === 'account')) best = kind;
  };
  for (const value of element.AWS ?? []) consider(matchAwsValue(value, principal));
  for (const value of element.Service ?? []) {
    if (
      value === '*' ||
      (principal.service && value.toLowerCase() === principal.service.toLowerCase())
    ) {
      consider('service');
    }
  }
  for (const value of [...(element.Federated ?? []), ...(element.CanonicalUser ?? [])]) {
    if (value === '*' || value === principal.arn) consider('other');
  }
  return best;
}
