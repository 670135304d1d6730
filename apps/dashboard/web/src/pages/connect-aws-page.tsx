/**
 * Connecting a workspace to AWS: region, network and bucket scope; then the ways to deploy
 * the stack (Deploy to AWS, the ops team's setup link, the template, the CLI command); then
 * the progress of its five stages, live, the verification checks with their fixes, and the
 * success screen once the workspace is Active.
 */
import { useState, type FormEvent } from 'react';
import type { CallOutput } from '@ferry/api';
import { isNotFound } from '../api.ts';
import { useAction, useLoad, usePolling } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { REGIONS } from '../regions.ts';
import { PHONE_HOME_STAGES, STAGE_TEXT } from '../stages.ts';
import {
  Badge,
  CodeBlock,
  CopyButton,
  ErrorAlert,
  Field,
  Loading,
  Notice,
  Page,
  RadioGroup,
  Select,
  SubmitButton,
  Time,
} from '../ui.tsx';

type Started = CallOutput<'awsSetup.start'>;
type SetupView = CallOutput<'awsSetup.get'>;

const NETWORKS = [
  { value: 'new', label: 'A new VPC with two public subnets (created by the stack)' },
  { value: 'existing', label: 'An existing VPC and its subnets' },
] as const;

const list = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');

export function ConnectAwsPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const workspace = useLoad(
    (signal) => api.call('workspaces.get', { params: { workspaceId }, signal }),
    [workspaceId],
  );
  const existing = useLoad(
    async (signal) => {
      try {
        return await api.call('awsSetup.get', { params: { workspaceId }, signal });
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    [workspaceId],
  );
  const [started, setStarted] = useState<Started | undefined>(undefined);
  const [editing, setEditing] = useState(false);

  if (workspace.error !== undefined)
    return (
      <Page title="Connect AWS">
        <ErrorAlert error={workspace.error} />
      </Page>
    );
  if (workspace.data === undefined || existing.loading)
    return <Loading what="the AWS connection" />;
  const ws = workspace.data;
  const hasSetup = started !== undefined || (existing.data !== null && existing.data !== undefined);
  const showForm = editing || !hasSetup;
  return (
    <Page
      title={`Connect ${ws.name} to AWS`}
      lead="ferry runs your clusters in your own AWS account. One CloudFormation stack creates the network, the security groups and three least-privilege IAM roles that ferry assumes with an external ID."
    >
      <ErrorAlert error={existing.error} />
      {showForm ? (
        <SetupForm
          workspaceId={workspaceId}
          onStarted={(s) => {
            setStarted(s);
            setEditing(false);
          }}
        />
      ) : null}
      {started !== undefined && !editing && <DeployOptions started={started} />}
      {hasSetup && !editing && (
        <>
          <Progress workspaceId={workspaceId} initial={started ?? existing.data ?? undefined} />
          <p>
            <button type="button" className="button secondary" onClick={() => setEditing(true)}>
              Start the setup again
            </button>{' '}
            <span className="muted">
              (new external ID and template; a stack from the old template stops working)
            </span>
          </p>
        </>
      )}
    </Page>
  );
}

function SetupForm(props: { workspaceId: string; onStarted: (s: Started) => void }) {
  const { api } = useSession();
  const [region, setRegion] = useState('us-east-1');
  const [network, setNetwork] = useState<'new' | 'existing'>('new');
  const [vpcId, setVpcId] = useState('');
  const [subnets, setSubnets] = useState('');
  const [cidr, setCidr] = useState('');
  const [buckets, setBuckets] = useState('');
  const start = useAction(async () => {
    const s = await api.call('awsSetup.start', {
      params: { workspaceId: props.workspaceId },
      body: {
        region,
        network:
          network === 'new'
            ? { kind: 'new' }
            : { kind: 'existing', vpcId, subnetIds: list(subnets) },
        allowedClientCidr: cidr,
        workerBuckets: list(buckets),
      },
    });
    props.onStarted(s);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void start.run();
  };
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="setup-form-heading">
      <h2 id="setup-form-heading">1. Where the workers run</h2>
      <Select
        label="AWS region"
        name="region"
        value={region}
        options={REGIONS}
        onChange={setRegion}
      />
      <RadioGroup
        legend="Network"
        name="network"
        value={network}
        options={NETWORKS}
        onChange={setNetwork}
      />
      {network === 'existing' && (
        <>
          <Field
            label="VPC id"
            name="vpcId"
            value={vpcId}
            onChange={setVpcId}
            required
            placeholder="vpc-0abc12345678def90"
          />
          <Field
            label="Subnet ids"
            name="subnetIds"
            value={subnets}
            onChange={setSubnets}
            required
            hint="Separated by commas or spaces."
            placeholder="subnet-0abc12345678def90, subnet-…"
          />
        </>
      )}
      <Field
        label="Clients allowed to reach clusters (CIDR)"
        name="allowedClientCidr"
        value={cidr}
        onChange={setCidr}
        required
        placeholder="203.0.113.0/24"
        hint="The address range your notebooks and services connect from, e.g. your office or VPN."
      />
      <Field
        label="S3 buckets the workers may read and write"
        name="workerBuckets"
        value={buckets}
        onChange={setBuckets}
        hint="Bucket names separated by commas; leave empty for none. The Worker role gets access to these only."
        placeholder="my-data-bucket"
      />
      <ErrorAlert error={start.error} title="Could not start the setup" />
      <SubmitButton busy={start.busy} label="Prepare the stack" busyLabel="Preparing…" />
    </form>
  );
}

function downloadHref(text: string, type: string): string {
  return URL.createObjectURL(new Blob([text], { type }));
}

function DeployOptions(props: { started: Started }) {
  const { instructions } = props.started;
  const [yamlHref] = useState(() => downloadHref(instructions.templateYaml, 'application/yaml'));
  const [jsonHref] = useState(() => downloadHref(instructions.templateJson, 'application/json'));
  return (
    <section className="card" aria-labelledby="deploy-heading">
      <h2 id="deploy-heading">2. Create the stack in your AWS account</h2>
      <p>
        Stack <code>{instructions.stackName}</code> in <code>{instructions.region}</code>, external
        ID <code>{props.started.externalId}</code>.
      </p>
      <div className="deploy-actions">
        <a
          className="button primary-large"
          href={instructions.quickCreateUrl}
          target="_blank"
          rel="noopener noreferrer"
        >
          Deploy to AWS
          <span className="visually-hidden"> (opens the CloudFormation console in a new tab)</span>
        </a>
        <CopyButton value={props.started.setupLink} label="Copy setup link" />
      </div>
      <p className="muted">
        <strong>Deploy to AWS</strong> opens CloudFormation's quick-create page with everything
        filled in: tick the IAM acknowledgement and create. No access to the account?{' '}
        <strong>Copy setup link</strong> and send it to your ops team: it shows these instructions
        without signing in, until <Time at={props.started.setupLinkExpiresAt} />.
      </p>
      <details>
        <summary>Other ways: the template, the AWS CLI</summary>
        <p>
          Download the template:{' '}
          <a href={yamlHref} download={`${instructions.stackName}.yaml`}>
            YAML
          </a>{' '}
          ·{' '}
          <a href={jsonHref} download={`${instructions.stackName}.json`}>
            JSON
          </a>
        </p>
        <CodeBlock label="AWS CLI command" value={instructions.createStackCommand} />
        <CodeBlock
          label="Parameters"
          value={instructions.parameters
            .map((p) => `${p.ParameterKey}=${p.ParameterValue}`)
            .join('\n')}
        />
      </details>
    </section>
  );
}

function Progress(props: { workspaceId: string; initial: SetupView | undefined }) {
  const { api } = useSession();
  const poll = usePolling<SetupView>(
    (previous, signal) =>
      api.call('awsSetup.get', {
        params: { workspaceId: props.workspaceId },
        query: previous === undefined ? {} : { after: previous.revision, waitSeconds: 20 },
        signal,
      }),
    { pauseMs: 0, deps: [props.workspaceId] },
  );
  const verify = useAction(() =>
    api.call('awsSetup.verify', { params: { workspaceId: props.workspaceId } }),
  );
  const view = poll.data ?? props.initial;
  if (view === undefined) return <Loading what="the progress" />;
  const reached = new Map(view.stages.map((s) => [s.stage, s.at]));
  const failed = view.status === 'failed';
  const active = view.workspaceState === 'Active';
  const current = PHONE_HOME_STAGES.find((s) => !reached.has(s));
  return (
    <>
      {active && (
        <section className="card success" aria-labelledby="success-heading">
          <h2 id="success-heading">Your workspace is connected</h2>
          <p>
            AWS account <code>{view.accountId}</code>, region <code>{view.region}</code>. Every role
            was verified
            {view.verifiedAt !== null && (
              <>
                {' '}
                at <Time at={view.verifiedAt} />
              </>
            )}
            .
          </p>
          <Link to={`/workspaces/${props.workspaceId}/clusters`} className="button">
            Start a cluster
          </Link>
        </section>
      )}
      <section className="card" aria-labelledby="progress-heading">
        <h2 id="progress-heading">3. Progress</h2>
        <p>
          Workspace <Badge value={view.workspaceState} /> · connection <Badge value={view.status} />
        </p>
        <ol className="stages" aria-live="polite">
          {PHONE_HOME_STAGES.map((stage) => {
            const at = reached.get(stage);
            const state =
              at !== undefined
                ? 'done'
                : failed
                  ? 'blocked'
                  : stage === current
                    ? 'current'
                    : 'waiting';
            return (
              <li
                key={stage}
                className={`stage stage-${state}`}
                aria-current={state === 'current' ? 'step' : undefined}
              >
                <span className="stage-mark" aria-hidden="true">
                  {state === 'done'
                    ? '✓'
                    : state === 'blocked'
                      ? '!'
                      : state === 'current'
                        ? '…'
                        : ''}
                </span>
                <span className="stage-name">{stage}</span>
                <span className="stage-text">
                  {at !== undefined ? (
                    <>
                      {STAGE_TEXT[stage]} · <Time at={at} />
                    </>
                  ) : state === 'current' ? (
                    'waiting for CloudFormation…'
                  ) : (
                    'not yet'
                  )}
                </span>
                <span className="visually-hidden">({state})</span>
              </li>
            );
          })}
        </ol>
        {failed && (
          <ErrorAlert title="The connection failed" error={view.reason ?? 'no reason given'} />
        )}
        {poll.error !== undefined && (
          <ErrorAlert title="Lost contact with the server, retrying" error={poll.error} />
        )}
      </section>
      {view.checks.length > 0 && (
        <section className="card" aria-labelledby="checks-heading">
          <h2 id="checks-heading">4. Verification checks</h2>
          <p className="muted">
            {view.checks.filter((c) => c.outcome === 'pass').length} passed,{' '}
            {view.checks.filter((c) => c.outcome === 'fail').length} failed,{' '}
            {view.checks.filter((c) => c.outcome === 'skipped').length} skipped.
          </p>
          <table className="table">
            <caption className="visually-hidden">Verification checks</caption>
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Outcome</th>
                <th scope="col">Details and fix</th>
              </tr>
            </thead>
            <tbody>
              {view.checks.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>
                    <Badge value={c.outcome} />
                  </td>
                  <td>
                    {c.outcome !== 'pass' && c.message}
                    {c.awsErrorCode !== null && <code> {c.awsErrorCode}</code>}
                    {c.fixHint !== null && c.outcome === 'fail' && (
                      <p className="fix">Fix: {c.fixHint}</p>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <ErrorAlert error={verify.error} title="Could not verify" />
          {view.accountId !== null && (
            <button
              type="button"
              className="button secondary"
              disabled={verify.busy}
              onClick={() => void verify.run()}
            >
              {verify.busy ? 'Verifying…' : 'Verify again'}
            </button>
          )}
        </section>
      )}
      {!active && !failed && view.checks.length === 0 && (
        <Notice>
          When the stack reports Connected, ferry verifies every role and shows the checks here.
        </Notice>
      )}
    </>
  );
}
