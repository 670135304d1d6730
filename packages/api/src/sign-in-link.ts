/**
 * One-time sign-in links: an operator (the demo, an instance admin's tooling) issues a link
 * for a user; opening it starts a dashboard session once, then the link is spent.
 */
import { z } from 'zod';
import { defineContract } from './contract.ts';
import { sessionSchema } from './auth-schemas.ts';

export const claimSignInLinkBodySchema = z.strictObject({
  token: z
    .string()
    .regex(/^ferry_signin_[A-Za-z0-9_-]{20,100}$/, { error: 'must be a sign-in link token' }),
});

/** The contract of claiming a sign-in link. */
export const signInLinkContracts = {
  'auth.signInLink': defineContract({
    method: 'POST',
    path: '/api/v1/auth/sign-in-link',
    summary: 'Start a dashboard session with a one-time sign-in link (sets an HttpOnly cookie)',
    tag: 'auth',
    body: claimSignInLinkBodySchema,
    status: 200,
    errors: [404],
    response: sessionSchema,
    public: true,
  }),
} as const;
