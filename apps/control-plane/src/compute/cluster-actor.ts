/** Who a cluster's AWS calls act for: the user or service account that started it. */
import type { BrokerActor } from '../aws/credential-broker.ts';
import type { ClusterRow } from './cluster-transitions.ts';

/** The actor of a cluster's launch (and of a user's stop when none is given). */
export function startedBy(row: Pick<ClusterRow, 'started_by_kind' | 'started_by_id'>): BrokerActor {
  return row.started_by_kind === 'user'
    ? { kind: 'user', id: row.started_by_id }
    : { kind: 'service-account', id: row.started_by_id };
}
