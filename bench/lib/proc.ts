// Processes the bench starts: each is spawned by us (optionally pinned with taskset, which execs,
// so the PID we hold is the process itself), tracked, and ended by PID. Memory is read from
// /proc as the RSS of the process and all of its descendants (nginx and HAProxy fork workers).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';

export interface Owned {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
  /** Last lines of stderr, for error messages. */
  tail(): string;
}

const owned = new Set<Owned>();

export interface StartOptions {
  /** CPU list for taskset (`0`, `1`, `0-1`); undefined = not pinned. */
  cpus?: string;
  /** File that receives stdout and stderr. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function start(name: string, cmd: string, args: string[], opts: StartOptions): Owned {
  const [file, argv] = opts.cpus !== undefined ? ['taskset', ['-c', opts.cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  let tail = '';
  const keep = (b: Buffer): void => {
    log.write(b);
    tail = (tail + b.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? String(code)));
    child.on('error', (e) => resolve(`spawn error: ${e.message}`));
  });
  const p: Owned = { name, pid: child.pid ?? -1, child, exited, tail: () => tail.trim() };
  owned.add(p);
  void exited.then(() => {
    owned.delete(p);
    log.end();
  });
  return p;
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
export async function stop(p: Owned, graceMs = 3000): Promise<void> {
  if (!owned.has(p)) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, graceMs);
  await p.exited;
  clearTimeout(t);
}

/** Ends every process the bench still owns (on exit or interrupt). */
export async function stopAll(): Promise<void> {
  await Promise.all([...owned].map((p) => stop(p)));
}

/** Synchronous last resort for process 'exit': SIGKILL by PID. */
export function killAllSync(): void {
  for (const p of owned) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Clock ticks of /proc/PID/stat (USER_HZ, 100 on Linux), in milliseconds. */
const TICK_MS = 10;

/**
 * CPU time a process has used so far, ms: utime and stime from /proc/PID/stat (the fields after
 * the last ')', since the command name may hold spaces and parentheses). Throws once it is gone.
 */
export function cpuTimeMs(pid: number | string): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * TICK_MS, system: Number(f[12]) * TICK_MS };
}

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = byParent.get(ppid) ?? [];
      list.push(Number(d));
      byParent.set(ppid, list);
    } catch {
      /* process ended while we looked */
    }
  }
  return byParent;
}

export function descendants(root: number): number[] {
  const byParent = children();
  const out: number[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    const pid = queue[i]!;
    out.push(pid);
    queue.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Proportional set size: each shared page counted once across the processes sharing it. Summing
 * RSS over nginx's master and workers counts the config they share once per process; PSS does not.
 */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function treeKb(pids: number[], read: (pid: number) => number): number {
  let kb = 0;
  for (const root of pids) for (const pid of descendants(root)) kb += read(pid);
  return Math.round((kb / 1024) * 10) / 10;
}

/** RSS in MB of the process tree rooted at each pid (summed). */
export function treeRssMb(pids: number[]): number {
  return treeKb(pids, rssKb);
}

/** PSS in MB of the process tree rooted at each pid (summed). */
export function treePssMb(pids: number[]): number {
  return treeKb(pids, pssKb);
}

/** Samples tree RSS (and PSS) every intervalMs until stopped; returns the peaks and the RSS samples. */
export function sampleRss(pids: number[], intervalMs = 100): { stop(): { peakMb: number; peakPssMb: number; samples: number[] } } {
  const samples: number[] = [treeRssMb(pids)];
  const pss: number[] = [treePssMb(pids)];
  const t = setInterval(() => {
    samples.push(treeRssMb(pids));
    pss.push(treePssMb(pids));
  }, intervalMs);
  return {
    stop() {
      clearInterval(t);
      samples.push(treeRssMb(pids));
      pss.push(treePssMb(pids));
      return { peakMb: Math.max(...samples), peakPssMb: Math.max(...pss), samples };
    },
  };
}
