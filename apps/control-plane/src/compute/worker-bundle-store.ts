/**
 * The control plane's worker bundles (one store per bundle directory, shared by everything in
 * the process that uses that directory), and the pin a launch puts in a node's boot script.
 */
import type { WorkerBundlePin } from '@ferry/core';
import type { Resources } from '../resources.ts';
import { createWorkerBundles, type WorkerBundles } from './worker-bundle.ts';

const stores = new Map<string, WorkerBundles>();

/** The bundle store of `resources`' configured directory. */
export function workerBundlesOf(resources: Pick<Resources, 'config'>): WorkerBundles {
  const dir = resources.config.compute.workerBundleDir;
  let store = stores.get(dir);
  if (!store) {
    store = createWorkerBundles({ dir });
    stores.set(dir, store);
  }
  return store;
}

/** No architecture has a bundle: no node could start its worker. */
export class NoWorkerBundleError extends Error {
  readonly code = 'worker_bundle_unavailable';
}

/** What a launch pins; throws NoWorkerBundleError when no architecture has a bundle. */
export async function workerBundlePin(
  resources: Pick<Resources, 'config'>,
): Promise<WorkerBundlePin> {
  const pin = await workerBundlesOf(resources).pin();
  const reasons = Object.values(pin.architectures).flatMap((p) =>
    'missing' in p ? [p.missing] : [],
  );
  if (reasons.length === Object.keys(pin.architectures).length)
    throw new NoWorkerBundleError(`No worker bundle could be built: ${reasons.join(' ')}`);
  return pin;
}

/**
 * Builds (or finds on disk) the current version's bundles now, in the background, so the
 * first launch does not wait for them; logs the outcome. A failure is only logged: each
 * launch asks again and fails its cluster with the reason.
 */
export function prebuildWorkerBundles(resources: Pick<Resources, 'config' | 'log'>): Promise<void> {
  const started = performance.now();
  return workerBundlePin(resources).then(
    (pin) => {
      resources.log.info(
        {
          version: pin.version,
          architectures: Object.fromEntries(
            Object.entries(pin.architectures).map(([arch, p]) => [
              arch,
              'missing' in p ? 'missing' : 'ready',
            ]),
          ),
          ms: Math.round(performance.now() - started),
        },
        'worker bundles ready',
      );
    },
    (err: unknown) => {
      resources.log.warn({ err }, 'no worker bundle could be built; launches will say why');
    },
  );
}
