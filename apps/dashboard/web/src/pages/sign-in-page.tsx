/** Sign-in with email and password; starts a cookie session. */
import { useState, type FormEvent } from 'react';
import type { User } from '@ferry/api';
import { createApi } from '../api.ts';
import { useAction } from '../hooks.ts';
import { ErrorAlert, Field, Page } from '../ui.tsx';

export function SignInPage(props: { onSignedIn: (s: { user: User; csrfToken: string }) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useAction(async () => {
    const s = await createApi().call('auth.login', { body: { email, password } });
    props.onSignedIn({ user: s.user, csrfToken: s.csrfToken });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void login.run();
  };
  return (
    <Page title="Sign in to ferry">
      <form className="card form" onSubmit={submit} aria-label="Sign in">
        <Field
          label="Email"
          name="email"
          type="email"
          value={email}
          onChange={setEmail}
          required
          autoComplete="username"
        />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          required
          autoComplete="current-password"
        />
        <ErrorAlert error={login.error} title="Could not sign in" />
        <button className="button" type="submit" disabled={login.busy}>
          {login.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </Page>
  );
}
