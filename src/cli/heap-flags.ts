// V8's young generation, sized for a long-running proxy rather than for a batch job.
//
// V8 grows each of the two semi-spaces of its young generation up to 64 MB on Node 24 when a burst
// of allocation survives (reading and compiling thousands of routes is such a burst), and keeps
// them that size while requests keep allocating: 128 MB of RSS for memory that holds at most a
// few MB of live objects. Capped at 4 MB per semi-space, a process serving 5,000 routes has
// ~110 MB less RSS, and startup CPU is unchanged within noise (measured: in the ladder's route
// set, 3.1–4.6 s vs 3.4–4.8 s default; semi-spaces kept at 1 MB cost ~20 % more). The flag only
// counts when given at startup (v8.setFlagsFromString does not resize a heap that exists), so a
// serving command re-executes itself once with it, keeping its pid, arguments, environment and
// open descriptors. Anyone who sets the young generation themselves (in NODE_OPTIONS or on the
// node command line) is left alone.
import process from 'node:process';
import { parseCommandLine } from './args.ts';

export const SEMI_SPACE_MB = 4;
const FLAG = `--max-semi-space-size=${SEMI_SPACE_MB}`;
const OWN_CHOICE = /--(max|min)-semi-space-size|--semi-space-growth-factor|--max-young-generation-size/;

/** Commands that run for long and serve traffic. */
const SERVING = new Set(['run', 'quickstart']);

/**
 * Whether `wicket <args>` should restart with the young-generation flag: a serving command that
 * does not already carry a choice of its own. Bad usage is left for main() to report.
 */
export function wantsHeapFlags(args: readonly string[], execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  let command: string;
  try {
    command = parseCommandLine([...args]).command;
  } catch {
    return false;
  }
  if (!SERVING.has(command)) return false;
  if (execArgv.some((a) => OWN_CHOICE.test(a))) return false;
  if (nodeOptions !== undefined && OWN_CHOICE.test(nodeOptions)) return false;
  return true;
}

/**
 * Replaces this process with the same command plus the young-generation flag when that helps
 * (see above); returns only when it does not (or cannot). Call it first thing in an entry point,
 * before any output or listening socket, never from code a test imports.
 */
export function relaunchWithHeapFlags(args: readonly string[]): void {
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function' || process.platform === 'win32') return;
  if (!wantsHeapFlags(args, process.execArgv, process.env['NODE_OPTIONS'])) return;
  const script = process.argv[1];
  if (script === undefined) return;
  try {
    execve(process.execPath, [process.execPath, ...process.execArgv, FLAG, script, ...args], process.env);
  } catch {
    // Not fatal: the process serves as well with V8's default sizing, only with more memory.
  }
}
