// V8's helper threads (named "V8Worker": concurrent marking, sweeping, optimizing compilers) at a
// lower scheduling priority, in a serving process allowed a single core. There they cannot run
// beside the JavaScript thread, only instead of it: a helper woken while requests are in flight
// preempts the event loop (the scheduler favours a thread that slept), and every request in
// flight waits for its slice. At a lower priority a helper mostly runs when the event loop waits
// for I/O, and takes a small share under full load; V8 finishes what a helper did not get to on
// the main thread itself. Applied once the first configuration serves (building it is when the
// helpers' work helps most). src/cli/heap-flags.ts sets the environment variable (and says why
// not the lowest priority) for a single-core serving process.
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

export const HELPER_NICE_ENV = 'WICKET_V8_HELPER_NICE';

/** Thread ids of this process's V8 helper threads (Linux: /proc/self/task/TID/comm); [] elsewhere. */
export function v8HelperThreads(): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'V8Worker') out.push(Number(tid));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

let applied = false;

/** Gives V8's helper threads the nice value in WICKET_V8_HELPER_NICE (once; nothing when unset). Returns how many. */
export function applyHelperNice(): number {
  if (applied) return 0;
  applied = true;
  const nice = process.env[HELPER_NICE_ENV];
  if (nice === undefined || !/^(1[0-9]|[1-9])$/.test(nice)) return 0;
  let n = 0;
  for (const tid of v8HelperThreads()) {
    try {
      // On Linux a thread id names just that thread here (nice is per thread).
      setPriority(tid, Number(nice));
      n++;
    } catch {
      // Not permitted or gone: the thread keeps its priority.
    }
  }
  return n;
}
