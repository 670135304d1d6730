/**
 * Signing in with an email and password: a dashboard session (its cookie and CSRF token)
 * used for the calls only a session may make — minting a personal access token — then ended.
 */
import { createFerryClient, FerryApiError, type FerryClient } from '@ferry/api';
import { CliError } from './cli-command.ts';

/** Runs `body` with a client signed in as the user; the session is ended afterwards. */
export async function withPasswordSession<T>(
  baseUrl: string,
  email: string,
  password: string,
  body: (session: FerryClient) => Promise<T>,
): Promise<T> {
  let cookie = '';
  const login = await createFerryClient({
    baseUrl,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie;
      return res;
    },
  })
    .call('auth.login', { body: { email, password } })
    .catch((error: unknown) => {
      if (error instanceof FerryApiError && error.status === 401)
        throw new CliError(
          'not_signed_in',
          `the control plane did not accept the email and password of ${email}`,
        );
      throw error;
    });
  const session = createFerryClient({
    baseUrl,
    headers: { cookie, 'x-csrf-token': login.csrfToken },
  });
  try {
    return await body(session);
  } finally {
    await session.call('auth.logout').catch(() => undefined);
  }
}
