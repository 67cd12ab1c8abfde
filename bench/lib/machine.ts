// What the figures were measured on: enough to tell two result files apart and to judge noise
// (the load average at the start says whether something else was running).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, totalmem } from 'node:os';
import type { Tools } from './install.ts';

/** stdout and stderr of a command, whatever its exit code: nginx -v and wrk -v print to stderr (wrk exits 1). */
function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}

export interface Machine {
  hostname: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  loadAverageAtStart: number[];
  versions: { node: string; nginx: string; haproxy: string; wrk: string; wicketCommit: string };
}

export function describeMachine(tools: Tools, repo: string): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    /* keep os.cpus() */
  }
  return {
    hostname: hostname(),
    nproc: Number(run('nproc', [])) || cpus().length,
    cpuModel,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    versions: {
      node: process.version,
      nginx: firstLine(run(tools.nginx, ['-v'])).replace(/^nginx version:\s*/, ''),
      haproxy: firstLine(run(tools.haproxy, ['-v'])),
      wrk: firstLine(run(tools.wrk, ['-v'])),
      wicketCommit: run('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']) + (run('git', ['-C', repo, 'status', '--porcelain', '--', 'src']) ? ' (+ uncommitted changes in src/)' : ''),
    },
  };
}

/** `<date>-<machine>`: the CPU model and core count, since container host names are random. */
export function resultName(m: Machine, date: Date): string {
  const cpu = m.cpuModel.toLowerCase().replace(/\(r\)|\(tm\)|cpu|processor|@.*$/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const d = date.toISOString().slice(0, 16).replace('T', '-').replace(':', '');
  return `${d}-${cpu || 'cpu'}-${m.nproc}c`;
}
