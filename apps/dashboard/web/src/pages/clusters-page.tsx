/**
 * A workspace's clusters: the list, and the start form — which shows the instance type a
 * context would get, why, and its $/hour before anything starts.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { CallInput, CallOutput } from '@ferry/api';
import { errorMessage } from '../api.ts';
import { useAction, useLoad } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Badge, ErrorAlert, Field, Loading, Notice, Page, Select, Time, usd } from '../ui.tsx';

type Context = CallInput<'compute.select'>['body'];
type Selection = CallOutput<'compute.select'>;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const line of text.split(/[\n,]+/)) {
    const t = line.trim();
    if (t === '') continue;
    const eq = t.indexOf('=');
    if (eq < 1) throw new Error(`labels: "${t}" must be key=value`);
    labels[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
  }
  return labels;
}

export function ClustersPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const ws = useLoad(
    (signal) => api.call('workspaces.get', { params: { workspaceId }, signal }),
    [workspaceId],
  );
  const clusters = useLoad(
    (signal) => api.call('compute.list', { params: { workspaceId }, query: { limit: 50 }, signal }),
    [workspaceId],
  );
  useEffect(() => {
    const t = setInterval(clusters.reload, 5000);
    return () => clearInterval(t);
  }, [clusters.reload]);
  if (ws.error !== undefined)
    return (
      <Page title="Clusters">
        <ErrorAlert error={ws.error} />
      </Page>
    );
  if (ws.data === undefined) return <Loading what="the workspace" />;
  const items = clusters.data?.items ?? [];
  return (
    <Page
      title="Clusters"
      lead={`Compute of ${ws.data.name}: EC2 instances in your account, stopped when idle.`}
    >
      <ErrorAlert error={clusters.error} />
      {items.length === 0 && !clusters.loading ? (
        <Notice>No clusters yet.</Notice>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Clusters</caption>
          <thead>
            <tr>
              <th scope="col">Cluster</th>
              <th scope="col">State</th>
              <th scope="col">Instance type</th>
              <th scope="col">Nodes</th>
              <th scope="col">$/hour</th>
              <th scope="col">Cost so far</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/workspaces/${workspaceId}/clusters/${c.id}`}>
                    {c.manifest ?? c.id}
                  </Link>
                </td>
                <td>
                  <Badge value={c.state} />
                </td>
                <td>{c.instanceType ?? '—'}</td>
                <td>{c.nodes.filter((n) => n.terminatedAt === null).length}</td>
                <td>{c.usdPerHour !== null ? usd(c.usdPerHour, 4) : '—'}</td>
                <td>{usd(c.runningCostUsd, 4)}</td>
                <td>
                  <Time at={c.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {ws.data.state === 'Active' ? (
        <StartForm workspaceId={workspaceId} />
      ) : (
        <Notice kind="warning">
          Connect this workspace to AWS before starting a cluster.{' '}
          <Link to={`/workspaces/${workspaceId}/connect`}>Connect AWS</Link>
        </Notice>
      )}
    </Page>
  );
}

function StartForm(props: { workspaceId: string }) {
  const { api } = useSession();
  const [sizing, setSizing] = useState<'bounds' | 'type'>('bounds');
  const [cpus, setCpus] = useState('2');
  const [memory, setMemory] = useState('4');
  const [instanceType, setInstanceType] = useState('');
  const [architecture, setArchitecture] = useState('any');
  const [clusterSize, setClusterSize] = useState('1');
  const [storage, setStorage] = useState('32');
  const [idle, setIdle] = useState('');
  const [labels, setLabels] = useState('');
  const [preview, setPreview] = useState<{
    selection?: Selection;
    error?: string;
    loading: boolean;
  }>({
    loading: false,
  });

  const context = (): Context => {
    const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
    const c: Context = {
      architecture: architecture as 'any',
      clusterSize: num(clusterSize),
      storage: num(storage),
      idleTimeoutMins: num(idle),
      labels: parseLabels(labels),
    };
    if (sizing === 'bounds') {
      c.cpus = num(cpus);
      c.memory = num(memory);
    } else c.instanceType = instanceType.trim();
    return c;
  };

  // The preview follows the form: a short pause after the last change, then one request.
  const key = JSON.stringify([
    sizing,
    cpus,
    memory,
    instanceType,
    architecture,
    clusterSize,
    storage,
    idle,
    labels,
  ]);
  useEffect(() => {
    const ctl = new AbortController();
    const t = setTimeout(() => {
      let body: Context;
      try {
        body = context();
      } catch (err) {
        setPreview({ error: errorMessage(err), loading: false });
        return;
      }
      if (sizing === 'type' && instanceType.trim() === '') {
        setPreview({ loading: false });
        return;
      }
      setPreview((p) => ({ ...p, loading: true }));
      api
        .call('compute.select', {
          params: { workspaceId: props.workspaceId },
          body,
          signal: ctl.signal,
        })
        .then(
          (selection) => setPreview({ selection, loading: false }),
          (err: unknown) => {
            if (!ctl.signal.aborted) setPreview({ error: errorMessage(err), loading: false });
          },
        );
    }, 400);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [key, props.workspaceId]);

  const start = useAction(async () => {
    const c = await api.call('compute.start', {
      params: { workspaceId: props.workspaceId },
      body: context(),
    });
    navigate(`/workspaces/${props.workspaceId}/clusters/${c.id}`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void start.run();
  };
  const sel = preview.selection;
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="start-heading">
      <h2 id="start-heading">Start a cluster</h2>
      <fieldset>
        <legend>Size each node by</legend>
        <label className="radio">
          <input
            type="radio"
            name="sizing"
            checked={sizing === 'bounds'}
            onChange={() => setSizing('bounds')}
          />
          At least this many vCPUs and GiB (the cheapest fitting type is chosen)
        </label>
        <label className="radio">
          <input
            type="radio"
            name="sizing"
            checked={sizing === 'type'}
            onChange={() => setSizing('type')}
          />
          An instance type
        </label>
      </fieldset>
      <div className="grid">
        {sizing === 'bounds' ? (
          <>
            <Field
              label="vCPUs (at least)"
              name="cpus"
              type="number"
              value={cpus}
              onChange={setCpus}
            />
            <Field
              label="Memory in GiB (at least)"
              name="memory"
              type="number"
              value={memory}
              onChange={setMemory}
            />
          </>
        ) : (
          <Field
            label="Instance type"
            name="instanceType"
            value={instanceType}
            onChange={setInstanceType}
            placeholder="m7i.large"
          />
        )}
        <Select
          label="Architecture"
          name="architecture"
          value={architecture}
          options={['any', 'x86_64', 'arm64']}
          onChange={setArchitecture}
        />
        <Field
          label="Nodes"
          name="clusterSize"
          type="number"
          value={clusterSize}
          onChange={setClusterSize}
        />
        <Field
          label="Storage per node (GiB)"
          name="storage"
          type="number"
          value={storage}
          onChange={setStorage}
        />
        <Field
          label="Idle timeout (minutes)"
          name="idleTimeoutMins"
          type="number"
          value={idle}
          onChange={setIdle}
          hint="Empty: the workspace's default. The cluster stops itself after this long without work."
        />
      </div>
      <Field
        label="Labels"
        name="labels"
        value={labels}
        onChange={setLabels}
        placeholder="team=analytics, env=dev"
        hint="key=value pairs, separated by commas."
      />
      <section className="selection" aria-live="polite" aria-labelledby="selection-heading">
        <h3 id="selection-heading">What you get</h3>
        {preview.loading && <p className="muted">Choosing an instance type…</p>}
        {preview.error !== undefined && !preview.loading && (
          <ErrorAlert error={preview.error} title="Nothing to start" />
        )}
        {sel !== undefined && preview.error === undefined && (
          <>
            <p className="selection-summary">
              <strong className="instance-type">{sel.instanceType}</strong> at{' '}
              <strong>{usd(sel.usdPerHour, 4)}/hour</strong> per node
              {Number(clusterSize) > 1 && (
                <> · {usd(sel.usdPerHour * Number(clusterSize), 4)}/hour for the cluster</>
              )}
            </p>
            <p className="selection-reason">Why: {sel.reason}</p>
            <details>
              <summary>Every candidate considered ({sel.candidates.length})</summary>
              <table className="table compact">
                <caption className="visually-hidden">Candidate instance types</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">vCPUs</th>
                    <th scope="col">GiB</th>
                    <th scope="col">$/hour</th>
                    <th scope="col">Verdict</th>
                  </tr>
                </thead>
                <tbody>
                  {sel.candidates.map((c) => (
                    <tr key={c.instanceType}>
                      <td>{c.instanceType}</td>
                      <td>{c.vcpus}</td>
                      <td>{c.memoryGiB}</td>
                      <td>{c.usdPerHour !== undefined ? usd(c.usdPerHour, 4) : '—'}</td>
                      <td>
                        {c.rejected.length > 0
                          ? c.rejected.join('; ')
                          : c.rank !== undefined
                            ? `rank ${c.rank}`
                            : 'fits'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        )}
      </section>
      <ErrorAlert error={start.error} title="Could not start" />
      <button
        className="button"
        type="submit"
        disabled={start.busy || sel === undefined || preview.error !== undefined}
      >
        {start.busy
          ? 'Starting…'
          : sel !== undefined
            ? `Start ${sel.instanceType} cluster`
            : 'Start cluster'}
      </button>
    </form>
  );
}
