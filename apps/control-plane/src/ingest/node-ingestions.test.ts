/**
 * The checkpoint protocol that makes a crash lose and duplicate nothing: a file is
 * announced before it is written and committed after; the checkpoint moves only on a
 * commit; an announced file blocks any other until it is committed (a resumed run rewrites
 * exactly it); retries are idempotent; and only the node holding a live claim may step.
 */
import { expect, it } from 'vitest';
import { insertCluster, recordNode, workspaceRows } from '../compute/cluster-fixture.ts';
import { hashNodeToken } from '../compute/node-intake.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { createTestClock } from '../testing/test-clock.ts';
import { insertIngestion } from './ingestion-fixture.ts';
import { getIngestion, ingestDb, stopIngestion } from './ingestions.ts';
import {
  INGESTION_LEASE_SECONDS,
  recordIngestionOutcome,
  recordShardStep,
} from './node-ingestions.ts';

const clock = createTestClock();
const SHARD = 'shardId-000000000000';
const intent = (first: string, last: string, records: number) => ({
  firstSequenceNumber: first,
  lastSequenceNumber: last,
  records,
  key: `ingestions/x/shard=${SHARD}/${first}.parquet`,
});

describeEachBackend(
  'the ingestion checkpoint protocol',
  (ctx) => {
    it('moves a checkpoint only on the commit of the announced file, fenced by the claim', async () => {
      const { resources } = ctx();
      const { orgId, workspaceId } = await workspaceRows(resources);
      const { cluster } = await insertCluster(resources, { workspaceId, orgId });
      const [a, b] = [await recordNode(resources, cluster), await recordNode(resources, cluster)];
      for (const [id, token] of [
        [a, 'token-a'],
        [b, 'token-b'],
      ] as const)
        await resources.db
          .updateTable('cluster_nodes')
          .set({ node_token_hash: hashNodeToken(token) })
          .where('instance_id', '=', id)
          .execute();
      const id = await insertIngestion(resources, cluster);
      const hold = async (node: string) =>
        ingestDb(resources.db)
          .updateTable('ingestions')
          .set({
            node_id: node,
            state: 'Running',
            lease_until: new Date(clock.now().getTime() + INGESTION_LEASE_SECONDS * 1000),
          })
          .where('id', '=', id)
          .execute();
      const step = (token: string, s: Parameters<typeof recordShardStep>[3]) =>
        recordShardStep(resources, token, id, s);
      const code = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
      const view = () => getIngestion(resources, workspaceId, id);
      await hold(a);

      const first = intent('100', '130', 3);
      expect(
        await code(
          step('token-a', { kind: 'intent', shardId: SHARD, parentShardIds: [], intent: first }),
        ),
      ).toBe('ok');
      // The announcement alone lands nothing.
      expect((await view()).shards[0]).toMatchObject({ lastSequenceNumber: null, records: 0 });
      // Node b does not hold the ingestion: refused.
      expect(await code(step('token-b', { kind: 'commit', shardId: SHARD, intent: first }))).toBe(
        'ingestion_not_held',
      );
      // Another file while one is announced: refused (the announced one is rewritten first).
      expect(
        await code(
          step('token-a', {
            kind: 'intent',
            shardId: SHARD,
            parentShardIds: [],
            intent: intent('100', '120', 2),
          }),
        ),
      ).toBe('ingestion_pending_file');
      // The same announcement again (a resumed run): accepted.
      expect(
        await code(
          step('token-a', { kind: 'intent', shardId: SHARD, parentShardIds: [], intent: first }),
        ),
      ).toBe('ok');
      // A commit of anything but the announced file: refused.
      expect(
        await code(
          step('token-a', { kind: 'commit', shardId: SHARD, intent: intent('100', '140', 4) }),
        ),
      ).toBe('ingestion_no_intent');
      expect(
        await code(
          recordIngestionOutcome(resources, 'token-a', id, { state: 'Completed', reason: null }),
        ),
      ).toBe('ingestion_pending_file');
      expect(await code(step('token-a', { kind: 'commit', shardId: SHARD, intent: first }))).toBe(
        'ok',
      );
      // A retried commit is a no-op.
      expect(await code(step('token-a', { kind: 'commit', shardId: SHARD, intent: first }))).toBe(
        'ok',
      );
      expect((await view()).shards[0]).toMatchObject({
        lastSequenceNumber: '130',
        records: 3,
        files: 1,
      });
      // A file must start after the checkpoint.
      expect(
        await code(
          step('token-a', {
            kind: 'intent',
            shardId: SHARD,
            parentShardIds: [],
            intent: intent('130', '150', 2),
          }),
        ),
      ).toBe('ingestion_behind_checkpoint');

      // Node a's claim lapses: its steps are refused; node b takes over and resumes.
      const second = intent('140', '160', 2);
      await clock.advance((INGESTION_LEASE_SECONDS + 1) * 1000);
      expect(
        await code(
          step('token-a', { kind: 'intent', shardId: SHARD, parentShardIds: [], intent: second }),
        ),
      ).toBe('ingestion_lease_expired');
      await hold(b);
      expect(
        await code(
          step('token-b', { kind: 'intent', shardId: SHARD, parentShardIds: [], intent: second }),
        ),
      ).toBe('ok');
      // Stopped by a user while b writes the file: the commit is still taken.
      await stopIngestion(resources, {
        workspaceId,
        ingestionId: id,
        now: clock.now(),
        transaction: (fn) => resources.db.transaction().execute(fn),
      });
      expect(
        await code(
          step('token-b', {
            kind: 'intent',
            shardId: SHARD,
            parentShardIds: [],
            intent: intent('170', '180', 1),
          }),
        ),
      ).toBe('ingestion_not_held');
      expect(await code(step('token-b', { kind: 'commit', shardId: SHARD, intent: second }))).toBe(
        'ok',
      );
      expect(await view()).toMatchObject({ state: 'Stopped', records: 5, files: 2 });
    });
  },
  { clock },
);
