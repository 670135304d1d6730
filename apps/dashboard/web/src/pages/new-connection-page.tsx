/**
 * A new data connection, in the order the data owner works: say what to reach and prepare
 * (ferry reserves an external ID and renders the trust and permissions policies, the
 * CloudFormation template and the `aws iam` commands to copy); the owner creates the role;
 * then its ARN (or, for S3 only and not recommended, access keys), a test with one result
 * per check, and save — or save it Unverified without a passing test.
 */
import { useState, type FormEvent } from 'react';
import type { CallInput, CallOutput, ConnectionTest } from '@ferry/api';
import { useAction } from '../hooks.ts';
import { navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ChecksTable, PoliciesToCopy } from '../connection-parts.tsx';
import {
  AccessKeyFields,
  EMPTY_TARGET,
  TargetFields,
  targetOf,
  type TargetDraft,
} from '../connection-fields.tsx';
import { Badge, ErrorAlert, Field, Notice, Page, RadioGroup, SubmitButton } from '../ui.tsx';

type Target = CallInput<'connections.prepare'>['body']['target'];
type Auth = CallInput<'connections.test'>['body']['auth'];
type Prepared = CallOutput<'connections.prepare'>;

const TYPES = [
  { value: 's3', label: 'An S3 bucket' },
  { value: 'kinesis', label: 'A Kinesis stream' },
] as const;
const ROLE = { value: 'role', label: 'The role (assumed with the external ID)' } as const;
const ACCESS_KEYS = {
  value: 'accessKeys',
  label: 'Access keys of an IAM user (not recommended)',
} as const;

export function NewConnectionPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [draft, setDraft] = useState<TargetDraft>(EMPTY_TARGET);
  const [prepared, setPrepared] = useState<{ target: Target; answer: Prepared } | undefined>();
  const [authKind, setAuthKind] = useState<'role' | 'accessKeys'>('role');
  const [roleArn, setRoleArn] = useState('');
  const [keys, setKeys] = useState({ accessKeyId: '', secretAccessKey: '' });
  const [tested, setTested] = useState<ConnectionTest | undefined>();
  const locked = prepared !== undefined;

  const auth = (): Auth =>
    authKind === 'role'
      ? {
          kind: 'role',
          roleArn: roleArn.trim(),
          externalId: prepared?.answer.policies.externalId ?? '',
        }
      : {
          kind: 'accessKeys',
          accessKeyId: keys.accessKeyId.trim(),
          secretAccessKey: keys.secretAccessKey,
        };

  const prepare = useAction(async () => {
    const t = targetOf(draft);
    const answer = await api.call('connections.prepare', {
      params: { workspaceId },
      body: {
        target: t,
        ...(name.trim() !== '' ? { name: name.trim() } : {}),
        ...(draft.type === 'kinesis' && draft.accountId.trim() !== ''
          ? { accountId: draft.accountId.trim() }
          : {}),
      },
    });
    setPrepared({ target: t, answer });
    setTested(undefined);
  });
  const test = useAction(async () => {
    if (prepared === undefined) return;
    setTested(undefined);
    setTested(
      await api.call('connections.test', {
        params: { workspaceId },
        body: { target: prepared.target, auth: auth() },
      }),
    );
  });
  const save = useAction(async (skipTest: boolean) => {
    if (prepared === undefined) return;
    const created = await api.call('connections.create', {
      params: { workspaceId },
      body: {
        name: name.trim(),
        target: prepared.target,
        auth: auth(),
        ...(description.trim() !== '' ? { description: description.trim() } : {}),
        ...(skipTest ? { skipTest: true } : {}),
      },
    });
    navigate(`/workspaces/${workspaceId}/connections/${created.name}`);
  });

  const onPrepare = (e: FormEvent) => {
    e.preventDefault();
    void prepare.run();
  };
  const onTest = (e: FormEvent) => {
    e.preventDefault();
    void test.run();
  };
  const editTarget = () => {
    setPrepared(undefined);
    setTested(undefined);
  };

  return (
    <Page
      title="New connection"
      lead="Connect an S3 bucket or a Kinesis stream in any AWS account. Its owner creates a role that trusts ferry with an external ID; ferry tests every permission before the connection is saved."
    >
      <form className="card form" onSubmit={onPrepare} aria-labelledby="target-heading">
        <h2 id="target-heading">1. What to connect</h2>
        <Field
          label="Connection name"
          name="name"
          value={name}
          onChange={setName}
          required
          readOnly={locked}
          placeholder="sales"
          hint="Lower-case letters, digits, - and _; queries use it, and it cannot change later."
        />
        <Field
          label="Description"
          name="description"
          value={description}
          onChange={setDescription}
          placeholder="The sales team's events"
        />
        <RadioGroup
          legend="Type"
          name="type"
          value={draft.type}
          options={TYPES}
          disabled={locked}
          onChange={(type) => {
            setDraft({ ...draft, type });
            if (type === 'kinesis') setAuthKind('role');
          }}
        />
        <TargetFields
          draft={draft}
          locked={locked}
          onChange={(patch) => setDraft({ ...draft, ...patch })}
        />
        <ErrorAlert error={prepare.error} title="Could not prepare the connection" />
        {!locked ? (
          <SubmitButton busy={prepare.busy} label="Prepare" busyLabel="Preparing…" />
        ) : (
          <button className="button secondary" type="button" onClick={editTarget}>
            Change what to connect
          </button>
        )}
      </form>

      {prepared !== undefined && (
        <section className="card" aria-labelledby="policies-heading">
          <h2 id="policies-heading">2. The owner creates the role</h2>
          <p>
            In the account that owns the data, create a role that trusts ferry's principal with this
            external ID and grants the permissions below — with the CloudFormation template, the AWS
            CLI commands, or by hand in the IAM console. The external ID is reserved for this
            workspace.
          </p>
          <PoliciesToCopy policies={prepared.answer.policies} />
        </section>
      )}

      {prepared !== undefined && (
        <form className="card form" onSubmit={onTest} aria-labelledby="auth-heading">
          <h2 id="auth-heading">3. Test and save</h2>
          <RadioGroup
            legend="How ferry signs in"
            name="authKind"
            value={authKind}
            options={prepared.target.type === 's3' ? [ROLE, ACCESS_KEYS] : [ROLE]}
            onChange={setAuthKind}
          />
          {authKind === 'role' ? (
            <Field
              label="Role ARN"
              name="roleArn"
              value={roleArn}
              onChange={setRoleArn}
              required
              placeholder="arn:aws:iam::123456789012:role/ferry-sales"
            />
          ) : (
            <>
              <Notice kind="warning">
                Not recommended: long-term keys do not expire and can be used from anywhere. ferry
                stores them encrypted and never shows them again; prefer a role.
              </Notice>
              <AccessKeyFields
                accessKeyId={keys.accessKeyId}
                secretAccessKey={keys.secretAccessKey}
                onChange={(patch) => setKeys({ ...keys, ...patch })}
              />
            </>
          )}
          <ErrorAlert error={test.error} title="Could not test the connection" />
          <SubmitButton busy={test.busy} label="Test connection" busyLabel="Testing…" />
          {tested !== undefined && (
            <div className="test-result" aria-live="polite">
              <p>
                Test result: <Badge value={tested.ok ? 'pass' : 'fail'} />
              </p>
              <ChecksTable test={tested} caption="Connection test checks" />
            </div>
          )}
          <ErrorAlert error={save.error} title="Could not save the connection" />
          <p className="actions">
            <button
              type="button"
              className="button"
              disabled={save.busy || tested?.ok !== true}
              onClick={() => void save.run(false)}
            >
              Save connection
            </button>{' '}
            <button
              type="button"
              className="button secondary"
              disabled={save.busy}
              onClick={() => void save.run(true)}
            >
              Save as Unverified
            </button>
          </p>
          <p className="muted">
            Saving tests the connection once more; <strong>Save as Unverified</strong> saves it
            without a passing test; it turns Verified once a re-test passes (the daily one, or Test
            again on its page).
          </p>
        </form>
      )}
    </Page>
  );
}
