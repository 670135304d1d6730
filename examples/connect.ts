/**
 * The cluster the examples run on: `FERRY_CLUSTER` (a running cluster's id) if set,
 * otherwise a new one of 2 vCPUs and 4 GiB (stopped again when the example ends). The
 * control plane and the caller come from `FERRY_URL`, `FERRY_TOKEN` and `FERRY_WORKSPACE`.
 */
import { ComputeContext } from '@ferry/sdk';

export async function computeContext(): Promise<ComputeContext> {
  const clusterId = process.env.FERRY_CLUSTER;
  return clusterId
    ? ComputeContext.connect(clusterId)
    : new ComputeContext({ cpus: 2, memory: 4 }).start();
}

/** The dataset the examples read: `FERRY_EXAMPLE_TRIPS`, an s3:// glob of Parquet files. */
export function tripsLocation(): string {
  const trips = process.env.FERRY_EXAMPLE_TRIPS;
  if (!trips) throw new Error('Set FERRY_EXAMPLE_TRIPS to an s3:// glob of Parquet files.');
  return trips;
}
