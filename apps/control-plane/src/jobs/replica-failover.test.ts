/**
 * Two server processes on one PostgreSQL: the replica running a job is killed (SIGKILL)
 * mid-job; the other takes the job over once the lease expires and completes it, and the
 * job completes exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBackend, type TestBackend } from '../testing/backends.ts';
import { createProbeTable, exactlyOnceJob } from '../testing/fixtures/exactly-once-job.ts';

const script = fileURLToPath(new URL('../testing/fixtures/replica.ts', import.meta.url));

interface Replica {
  id: string;
  child: ChildProcess;
  url: string;
  stderr: string[];
}

async function spawnReplica(id: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, REPLICA_ID: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`replica ${id} exited (${code}): ${stderr.join('')}`)),
    );
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { url?: string };
        if (msg.url) resolve(msg.url);
      } catch {
        // a log line, not the ready message
      }
    });
  });
  return { id, child, url, stderr };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('job failover between two server processes on PostgreSQL', () => {
  let backend: TestBackend;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    backend = await createTestBackend('postgres');
    await createProbeTable(backend.resources);
  });
  afterAll(async () => {
    for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await backend?.close();
  });

  it('runs the job exactly once although the replica running it is killed', async () => {
    const env = {
      DATABASE_URL: backend.databaseUrl ?? '',
      FERRY_SECRETS_KEY: backend.resources.config.secretsKey ?? '',
      FERRY_LISTEN_PORT: '0',
      FERRY_LOG_LEVEL: 'warn',
      FERRY_JOBS_POLL_INTERVAL_MS: '100',
      FERRY_DATA_DIR: backend.dataDir,
    };
    replicas.push(...(await Promise.all([spawnReplica('r1', env), spawnReplica('r2', env)])));

    const { id } = await backend.resources.jobs.enqueue(exactlyOnceJob, { sleepMs: 2500 });
    const probe = () =>
      sql<{
        replica: string;
        event: string;
      }>`select replica, event from job_probe where job_id = ${id} order by at`
        .execute(backend.resources.db)
        .then((r) => r.rows);

    const first = await until('a replica to start the job', async () => (await probe())[0]);
    expect(first.event).toBe('started');
    const victim = replicas.find((r) => r.id === first.replica);
    const survivor = replicas.find((r) => r.id !== first.replica);
    expect(victim && survivor).toBeTruthy();
    victim!.child.kill('SIGKILL');
    await new Promise((r) => victim!.child.once('exit', r));

    const done = await until('the job to succeed', async () => {
      const row = await backend.resources.db
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return row.status === 'succeeded' ? row : undefined;
    });
    expect(done.attempts).toBe(2);
    // Give a late duplicate every chance to show up before judging.
    await new Promise((r) => setTimeout(r, 500));
    const events = await probe();
    expect(events).toEqual([
      { replica: victim!.id, event: 'started' },
      { replica: survivor!.id, event: 'started' },
      { replica: survivor!.id, event: 'completed' },
    ]);

    // The survivor shuts down gracefully on SIGTERM.
    survivor!.child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => survivor!.child.once('exit', r));
    expect(code).toBe(0);
  }, 120_000);
});
