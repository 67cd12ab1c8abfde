// What `wicket run` uses to get its data plane: the in-process one for one worker (the default,
// unchanged), or a pool of worker processes for `--workers N` (N ≥ 2, or `auto` = the cores this
// process may use), with the registry the admin server should expose (the primary's own metrics
// merged with every worker's).
import type { Level } from '../../log.ts';
import type { Registry } from '../../metrics/registry.ts';
import { createDataPlane, type WicketDataPlane } from '../index.ts';
import { MergedRegistry } from './metrics-merge.ts';
import { createWorkerDataPlane, resolveWorkerCount } from './pool.ts';

export { createWorkerDataPlane, resolveWorkerCount, type WorkerDataPlane, type WorkerPoolOptions } from './pool.ts';
export { MergedRegistry, mergeExpositions } from './metrics-merge.ts';

export function createServingDataPlane(o: { workers: number | 'auto'; logLevel: Level; registry: Registry }): {
  dataPlane: WicketDataPlane;
  adminRegistry: Registry;
} {
  const n = resolveWorkerCount(o.workers);
  if (n <= 1) return { dataPlane: createDataPlane({ registry: o.registry }), adminRegistry: o.registry };
  const pool = createWorkerDataPlane({ workers: n, logLevel: o.logLevel });
  return { dataPlane: pool, adminRegistry: new MergedRegistry(o.registry, () => pool.workerMetrics()) };
}
