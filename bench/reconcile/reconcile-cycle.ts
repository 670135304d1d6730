/**
 * One reconcile cycle: the control plane's own `reconcile()` (what the `compute.reconcile`
 * job runs), called directly so the cycle's time is the cycle's alone. Answers the call
 * count the reconciler reports itself.
 */
import type { Resources } from '@ferry/control-plane';
import { reconcile } from '../../apps/control-plane/src/compute/reconciler.ts';

/** Runs one cycle; throws when a workspace's cycle failed. */
export async function runReconcileCycle(resources: Resources): Promise<number> {
  const report = await reconcile(resources);
  if (report.failed > 0) throw new Error(`reconcile failed in ${report.failed} workspaces`);
  return report.awsCalls;
}
