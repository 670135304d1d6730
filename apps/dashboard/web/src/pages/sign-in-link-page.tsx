/** A one-time sign-in link (`/sign-in-link#token=…`): spends it and enters the dashboard. */
import { useEffect, useRef, useState } from 'react';
import type { User } from '@ferry/api';
import { createApi, errorMessage } from '../api.ts';
import { fragmentToken, Link } from '../router.tsx';
import { ErrorAlert, Loading, Page } from '../ui.tsx';

export function SignInLinkPage(props: {
  onSignedIn: (s: { user: User; csrfToken: string }) => void;
}) {
  const [error, setError] = useState<string | undefined>(undefined);
  const onSignedIn = useRef(props.onSignedIn);
  onSignedIn.current = props.onSignedIn;
  const started = useRef(false);
  useEffect(() => {
    // A link works once: claim it once, even if the effect runs again.
    if (started.current) return;
    started.current = true;
    const token = fragmentToken();
    if (token === undefined) {
      setError('This page needs a sign-in link (it ends in #token=…).');
      return;
    }
    // Drop the token from the address bar and history before using it.
    window.history.replaceState(null, '', '/sign-in-link');
    createApi()
      .call('auth.signInLink', { body: { token } })
      .then(
        (s) => onSignedIn.current({ user: s.user, csrfToken: s.csrfToken }),
        (err: unknown) => setError(errorMessage(err)),
      );
  }, []);
  return (
    <Page title="Signing in">
      {error === undefined ? (
        <Loading what="your session" />
      ) : (
        <>
          <ErrorAlert error={error} />
          <p>
            <Link to="/sign-in">Sign in with your password instead</Link>
          </p>
        </>
      )}
    </Page>
  );
}
