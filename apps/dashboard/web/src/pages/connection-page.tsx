/**
 * One data connection: what it reaches and how it authenticates, its state and why, its
 * last test check by check; test it again, replace an access-key connection's keys, delete
 * it; and the policies to copy again.
 */
import { useState, type FormEvent } from 'react';
import type { CallOutput } from '@ferry/api';
import { useAction, useLoad } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ChecksTable, PoliciesToCopy, targetText } from '../connection-parts.tsx';
import { AccessKeyFields } from '../connection-fields.tsx';
import { Badge, ErrorAlert, Loading, Notice, Page, SubmitButton, Time } from '../ui.tsx';

export function ConnectionPage(props: { workspaceId: string; connectionName: string }) {
  const { api } = useSession();
  const { workspaceId, connectionName } = props;
  const params = { workspaceId, connectionName };
  const loaded = useLoad(
    (signal) => api.call('connections.get', { params, signal }),
    [workspaceId, connectionName],
  );
  const [updated, setUpdated] = useState<Detail | undefined>();
  const retest = useAction(async () => {
    setUpdated(await api.call('connections.retest', { params }));
  });
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(async () => {
    await api.call('connections.delete', { params });
    navigate(`/workspaces/${workspaceId}/connections`);
  });

  if (loaded.error !== undefined)
    return (
      <Page title={`Connection ${connectionName}`}>
        <ErrorAlert error={loaded.error} />
        <Link to={`/workspaces/${workspaceId}/connections`}>All connections</Link>
      </Page>
    );
  const c = updated ?? loaded.data;
  if (c === undefined) return <Loading what="the connection" />;
  return (
    <Page title={`Connection ${c.name}`} lead={c.description !== '' ? c.description : undefined}>
      <dl className="facts">
        <div>
          <dt>State</dt>
          <dd>
            <span data-testid="connection-state">
              <Badge value={c.state} />
            </span>
          </dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>{c.target.type === 's3' ? 'S3' : 'Kinesis'}</dd>
        </div>
        <div>
          <dt>Reaches</dt>
          <dd>
            <code>{targetText(c.target)}</code>
          </dd>
        </div>
        {c.auth.kind === 'role' ? (
          <>
            <div>
              <dt>Role</dt>
              <dd>
                <code>{c.auth.roleArn}</code>
              </dd>
            </div>
            <div>
              <dt>External ID</dt>
              <dd>
                <code>{c.auth.externalId}</code>
              </dd>
            </div>
          </>
        ) : (
          <div>
            <dt>Access key</dt>
            <dd>
              <code>{c.auth.accessKeyIdHint}</code> (not recommended)
            </dd>
          </div>
        )}
        <div>
          <dt>Last test</dt>
          <dd>
            <Time at={c.lastTest?.testedAt} />
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time at={c.createdAt} />
          </dd>
        </div>
      </dl>
      {c.auth.kind === 'accessKeys' && <Notice kind="warning">{c.auth.warning}</Notice>}
      {c.stateReason !== null && (
        <Notice kind={c.state === 'Failing' ? 'warning' : 'info'}>{c.stateReason}</Notice>
      )}

      <section className="card" aria-labelledby="test-heading">
        <h2 id="test-heading">Last test</h2>
        {c.lastTest === null ? (
          <p className="muted">Not tested yet.</p>
        ) : (
          <ChecksTable test={c.lastTest} caption="Checks of the last test" />
        )}
        <ErrorAlert error={retest.error} title="Could not test the connection" />
        <button
          type="button"
          className="button"
          disabled={retest.busy}
          onClick={() => void retest.run()}
        >
          {retest.busy ? 'Testing…' : 'Test again'}
        </button>
      </section>

      {c.auth.kind === 'accessKeys' && (
        <RotateKeys workspaceId={workspaceId} connectionName={c.name} onRotated={setUpdated} />
      )}

      <section className="card" aria-labelledby="policies-heading">
        <h2 id="policies-heading">Policies</h2>
        <details>
          <summary>
            The policies the owner's {c.auth.kind === 'role' ? 'role' : 'user'} needs
          </summary>
          <PoliciesToCopy policies={c.policies} />
        </details>
      </section>

      <section className="card danger-zone" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete</h2>
        <p>
          Queries can no longer use the connection
          {c.auth.kind === 'accessKeys' ? ', and its stored keys are erased' : ''}. What the owner
          created in their account (the {c.auth.kind === 'role' ? 'role' : 'IAM user'}) stays until
          they delete it.
        </p>
        <ErrorAlert error={remove.error} title="Could not delete the connection" />
        {confirming ? (
          <p className="actions">
            <button
              type="button"
              className="button danger"
              disabled={remove.busy}
              onClick={() => void remove.run()}
            >
              Delete {c.name} now
            </button>{' '}
            <button type="button" className="button secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </p>
        ) : (
          <button type="button" className="button secondary" onClick={() => setConfirming(true)}>
            Delete connection
          </button>
        )}
      </section>
    </Page>
  );
}

type Detail = CallOutput<'connections.get'>;

/** New keys for an access-key connection: tested first unless saved without a test. */
function RotateKeys(props: {
  workspaceId: string;
  connectionName: string;
  onRotated: (c: Detail) => void;
}) {
  const { api } = useSession();
  const [keys, setKeys] = useState({ accessKeyId: '', secretAccessKey: '' });
  const [skipTest, setSkipTest] = useState(false);
  const rotate = useAction(async () => {
    props.onRotated(
      await api.call('connections.rotateKeys', {
        params: { workspaceId: props.workspaceId, connectionName: props.connectionName },
        body: {
          accessKeyId: keys.accessKeyId.trim(),
          secretAccessKey: keys.secretAccessKey,
          ...(skipTest ? { skipTest: true } : {}),
        },
      }),
    );
    setKeys({ accessKeyId: '', secretAccessKey: '' });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void rotate.run();
  };
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="rotate-heading">
      <h2 id="rotate-heading">Rotate the keys</h2>
      <p className="muted">
        Create a new access key for the IAM user, save it here, then deactivate the old one. The new
        key is tested before it replaces the old.
      </p>
      <AccessKeyFields
        accessKeyId={keys.accessKeyId}
        secretAccessKey={keys.secretAccessKey}
        onChange={(patch) => setKeys({ ...keys, ...patch })}
        replacing
      />
      <label className="checkbox">
        <input type="checkbox" checked={skipTest} onChange={(e) => setSkipTest(e.target.checked)} />
        Save without a test (the connection turns Unverified)
      </label>
      <ErrorAlert error={rotate.error} title="Could not replace the keys" />
      <SubmitButton busy={rotate.busy} label="Replace the keys" busyLabel="Testing and saving…" />
    </form>
  );
}
