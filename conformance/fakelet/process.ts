// Runs one container as a local process inside a Pod's network namespace, logs its
// output in CRI format, and records "<pid> <starttime>" so that a later fakelet can
// kill exactly the processes it started (a recycled PID has a different start time).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LineLogger } from './container-logs.ts';

export interface ProcessSpec {
  netns: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  pidFile: string;
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function startProcess(spec: ProcessSpec): ChildProcess {
  // nsenter execs the program in place, so the child PID is the program's PID.
  const child = spawn('nsenter', [`--net=/run/netns/${spec.netns}`, '--', spec.command, ...spec.args], {
    env: spec.env, cwd: spec.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = new LineLogger(spec.logFile, 'stdout');
  const err = new LineLogger(spec.logFile, 'stderr');
  child.stdout!.on('data', (c) => out.write(c));
  child.stderr!.on('data', (c) => err.write(c));
  child.on('exit', () => { out.flush(); err.flush(); rmSync(spec.pidFile, { force: true }); });
  if (child.pid) writeFileSync(spec.pidFile, `${child.pid} ${processStartTime(child.pid) ?? ''}\n`);
  return child;
}

/** SIGTERM the process group, SIGKILL after the grace period; resolves once it exited. */
export function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    signalGroup(pid, 'SIGTERM');
  });
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } }
}

/** Kills processes recorded by an earlier fakelet, when PID and start time still match. */
export function killRecorded(pidDir: string): number {
  let killed = 0;
  let files: string[] = [];
  try { files = readdirSync(pidDir); } catch { return 0; }
  for (const f of files) {
    const [pidText, start] = readFileSync(join(pidDir, f), 'utf8').trim().split(' ');
    const pid = Number(pidText);
    if (pid > 1 && start && processStartTime(pid) === start) {
      signalGroup(pid, 'SIGKILL');
      killed++;
    }
    rmSync(join(pidDir, f), { force: true });
  }
  return killed;
}
