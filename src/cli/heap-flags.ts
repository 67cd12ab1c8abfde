// V8's heap, sized for a long-running proxy rather than for a batch job.
//
// Young generation: V8 grows each of its two semi-spaces up to 64 MB on Node 24 when a burst of
// allocation survives (reading and compiling thousands of routes is such a burst), and keeps them
// that size while requests keep allocating: 128 MB of RSS for memory that holds a few MB of live
// objects. Capped at 4 MB per semi-space, a process serving the bench's 5,000 routes has ~110 MB
// less RSS (280 → 170 MB), and startup CPU is unchanged within noise (4 runs each, loaded machine:
// mean 4.99 s vs 4.83 s default; semi-spaces kept at 1 MB cost ~20 % more). Larger caps start
// faster (10,000 routes, translate + compile CPU, least of 6 runs at load ~8: 4 MB 1,061 ms, 16 MB
// 1,011 ms, 32 MB 827 ms) for +20 / +45 MB of RSS, so the cap stays.
//
// Old generation: V8 lets it grow to up to 4× the live size before the next full collection; at
// 1.5× (`--heap-growing-percent=50`) the same process has another ~15 MB less (→ 150–155 MB).
// That factor is applied once the first configuration serves (src/runtime/heap-growth.ts reads
// WICKET_HEAP_GROWING_PERCENT, set here), not from the start: while the first configuration is
// built the live heap grows ~20-fold, and at 1.5× each step that took 5 full collections at
// 10,000 routes instead of 2 (counted with --trace-gc).
//
// The semi-space cap only counts when given at startup (v8.setFlagsFromString does not resize a
// heap that exists), so a serving command re-executes itself once with it (process.execve),
// keeping its pid, arguments, environment and open descriptors. A flag whoever started Node chose
// (in NODE_OPTIONS or on the node command line) is left as they chose it.
import { availableParallelism } from 'node:os';
import process from 'node:process';
import { HEAP_GROWING_ENV } from '../runtime/heap-growth.ts';
import { HELPER_NICE_ENV } from '../runtime/helper-threads.ts';
import { parseCommandLine } from './args.ts';

export const SEMI_SPACE_MB = 4;
export const HEAP_GROWING_PERCENT = 50;
/**
 * Nice value of V8's helper threads in a single-core serving process. Not the lowest (19): then
 * concurrent marking hardly ran under full load and the heap grew (5,000 routes pinned under load,
 * bench/scenarios/ladder-start.ts: RSS 167 MB at 19, 128.5 MB at 10, 124 MB at 5); at 10 a helper
 * still rarely preempts the event loop (it gets about a tenth of the core when both want it).
 */
export const HELPER_NICE = 10;

/**
 * Each flag we add at startup, what marks the same choice made by whoever started Node, and when
 * it applies (`cores`: the CPUs this process may run on, its affinity counted).
 *
 * GC helper threads: V8 starts them by the machine's core count, not the process's affinity. In a
 * process allowed a single core (taskset, a one-CPU container) they can only run by preempting the
 * JavaScript thread: a young-generation collection (tens a second under load) waits for helpers
 * that share its core. Pinned to one core under 64 connections the main thread was preempted 5.9
 * times per 1,000 requests with parallel scavenges and 2.5 without (/proc/PID/status
 * nonvoluntary_ctxt_switches, wrk -c64 against one route); the work is the same, done on the
 * thread that would have waited for it anyway. Only scavenges: --single-threaded-gc also turns off
 * concurrent marking, and then V8 lets the old generation grow further between full collections
 * (5,000 routes pinned, bench/scenarios/ladder-start.ts: RSS under load 148 MB against 123 MB).
 */
/** The process may run on a single core only: V8's helper threads can only preempt its event loop. */
function oneCore(cores: number): boolean {
  return cores === 1;
}

const FLAGS: { flag: string; ownChoice: RegExp; when?: (cores: number) => boolean }[] = [
  { flag: `--max-semi-space-size=${SEMI_SPACE_MB}`, ownChoice: /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor|--max[-_]young[-_]generation[-_]size/ },
  { flag: '--no-parallel-scavenge', ownChoice: /--(no[-_])?single[-_]threaded|--(no[-_])?(parallel|concurrent)[-_](scavenge|marking|sweeping)/, when: oneCore },
];
/** What marks a growth factor chosen by whoever started Node (then none is applied later). */
const GROWING_CHOSEN = /--heap[-_]growing[-_]percent/;

/** Commands that run for long and serve traffic. */
const SERVING = new Set(['run', 'quickstart']);

/**
 * The flags `wicket <args>` should restart with: none unless it is a serving command; then those
 * whoever started Node did not choose themselves. Bad usage is left for main() to report.
 */
export function heapFlagsToAdd(args: readonly string[], execArgv: readonly string[], nodeOptions: string | undefined, cores = availableParallelism()): string[] {
  if (!isServing(args)) return [];
  const chosen = [...execArgv, nodeOptions ?? ''].join(' ');
  return FLAGS.filter((f) => !f.ownChoice.test(chosen) && (f.when === undefined || f.when(cores))).map((f) => f.flag);
}

/**
 * The old generation's growth factor to apply once serving (see above), as the value of
 * WICKET_HEAP_GROWING_PERCENT, or undefined: not a serving command, or chosen by whoever started Node.
 */
export function heapGrowingToApply(args: readonly string[], execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  if (!isServing(args) || GROWING_CHOSEN.test([...execArgv, nodeOptions ?? ''].join(' '))) return undefined;
  return String(HEAP_GROWING_PERCENT);
}

function isServing(args: readonly string[]): boolean {
  try {
    return SERVING.has(parseCommandLine([...args]).command);
  } catch {
    return false; // bad usage is main()'s to report
  }
}

/**
 * Replaces this process with the same command plus the heap flags when that helps (see above);
 * returns only when it does not (or cannot). Call it first thing in an entry point, before any
 * output or listening socket, never from code a test imports.
 */
export function relaunchWithHeapFlags(args: readonly string[]): void {
  // Read by the runtime once the first configuration serves; kept through the re-execution.
  const growing = heapGrowingToApply(args, process.execArgv, process.env['NODE_OPTIONS']);
  if (growing !== undefined) process.env[HEAP_GROWING_ENV] ??= growing;
  // V8's helper threads yield to the event loop on a single core (src/runtime/helper-threads.ts).
  if (isServing(args) && oneCore(availableParallelism())) process.env[HELPER_NICE_ENV] ??= String(HELPER_NICE);
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function' || process.platform === 'win32') return;
  const flags = heapFlagsToAdd(args, process.execArgv, process.env['NODE_OPTIONS']);
  const script = process.argv[1];
  if (flags.length === 0 || script === undefined) return;
  try {
    execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, script, ...args], process.env);
  } catch {
    // Not fatal: the process serves as well with V8's default sizing, only with more memory.
  }
}
