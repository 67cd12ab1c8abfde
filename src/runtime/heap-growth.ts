// The old generation's growth factor for steady serving, applied once the first configuration is
// served rather than from the start (src/cli/heap-flags.ts sets the environment variable when it
// is ours to choose). Building the first configuration grows the live heap from a few MB to
// ~100 MB at 10,000 routes: with the next full collection at 1.5 × the live size the whole time,
// that took 5 full collections at 10,000 routes instead of V8's own 2. V8 reads the flag whenever
// it sets the next collection's limit, so setting it at run time takes effect from the next one.
import v8 from 'node:v8';

export const HEAP_GROWING_ENV = 'WICKET_HEAP_GROWING_PERCENT';

let applied = false;

/** Sets --heap-growing-percent from WICKET_HEAP_GROWING_PERCENT (once; nothing when unset). */
export function applySteadyHeapGrowth(): void {
  if (applied) return;
  applied = true;
  const percent = process.env[HEAP_GROWING_ENV];
  if (percent !== undefined && /^[1-9][0-9]{0,2}$/.test(percent)) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
