/**
 * Approving a device sign-in (`ferry login --browser`): the code the terminal shows, typed
 * or carried by the link; the page shows what asks before the user approves or denies it.
 * Approving gives that device a personal access token of the signed-in user.
 */
import { useState, type FormEvent } from 'react';
import type { CallOutput } from '@ferry/api';
import { useAction } from '../hooks.ts';
import { useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorAlert, Field, Notice, Page, SubmitButton, Time } from '../ui.tsx';

type DeviceRequest = CallOutput<'auth.deviceRequest'>;

export function DevicePage() {
  const { api, user } = useSession();
  const { hash } = useLocation();
  // The link carries the code in its fragment, which never reaches the server's logs.
  const [code, setCode] = useState(new URLSearchParams(hash.replace(/^#/, '')).get('code') ?? '');
  const [request, setRequest] = useState<DeviceRequest | undefined>();
  const [decided, setDecided] = useState<DeviceRequest | undefined>();
  const lookUp = useAction(async () => {
    setRequest(
      await api.call('auth.deviceRequest', { body: { userCode: code.trim().toUpperCase() } }),
    );
  });
  const decide = useAction(async (approve: boolean) => {
    if (request === undefined) return;
    setDecided(
      await api.call('auth.deviceDecide', { body: { userCode: request.userCode, approve } }),
    );
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void lookUp.run();
  };

  if (decided !== undefined)
    return (
      <Page title="Device sign-in">
        {decided.status === 'approved' ? (
          <Notice kind="success">
            Approved: <strong>{decided.clientName}</strong> is signed in as {user.email}. Return to
            your terminal.
          </Notice>
        ) : (
          <Notice kind="warning">
            Denied: <strong>{decided.clientName}</strong> was not signed in.
          </Notice>
        )}
      </Page>
    );
  return (
    <Page
      title="Device sign-in"
      lead={
        <>
          Sign a device in as you: the code is the one <code>ferry login --browser</code> shows in
          your terminal.
        </>
      }
    >
      {request === undefined ? (
        <form className="card form" onSubmit={submit} aria-labelledby="code-heading">
          <h2 id="code-heading">The code from your terminal</h2>
          <Field
            label="Code"
            name="code"
            value={code}
            onChange={setCode}
            required
            autoComplete="off"
            placeholder="WDJB-MJHT"
          />
          <ErrorAlert error={lookUp.error} title="Cannot use this code" />
          <SubmitButton busy={lookUp.busy} label="Continue" />
        </form>
      ) : (
        <section className="card" aria-labelledby="confirm-heading">
          <h2 id="confirm-heading">Sign in {request.clientName}?</h2>
          <p>
            <strong>{request.clientName}</strong> asks to act as <strong>{user.email}</strong> with
            all your permissions. Code <code data-testid="device-code">{request.userCode}</code>,
            asked at <Time at={request.createdAt} />, valid until <Time at={request.expiresAt} />.
          </p>
          <Notice kind="warning">
            Approve only if the code matches the one your terminal shows and you started the sign-in
            yourself.
          </Notice>
          <ErrorAlert error={decide.error} title="Could not decide" />
          <p className="actions">
            <button
              type="button"
              className="button"
              disabled={decide.busy}
              onClick={() => void decide.run(true)}
            >
              Approve
            </button>{' '}
            <button
              type="button"
              className="button secondary"
              disabled={decide.busy}
              onClick={() => void decide.run(false)}
            >
              Deny
            </button>
          </p>
        </section>
      )}
    </Page>
  );
}
