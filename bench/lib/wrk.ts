// Runs wrk (Debian's) for a bounded duration and parses its report: requests per second,
// latency percentiles from --latency, transfer rate, and every failure it counts (socket
// errors and non-2xx/3xx responses).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  rps: number;
  p50Ms: number | null;
  /** Printed with each round, for reading where a tail starts (not a table row). */
  p90Ms: number | null;
  p99Ms: number | null;
  requests: number;
  /** Bytes per second read (wrk's Transfer/sec). */
  readBytesPerSec: number;
  errors: { connect: number; read: number; write: number; timeout: number; non2xx: number };
  /** connect + read + write + timeout + non2xx. */
  failed: number;
}

export interface WrkOptions {
  wrk: string;
  url: string;
  connections: number;
  threads?: number;
  durationS: number;
  cpus?: string;
  /** Lua script text; written to workDir. */
  script?: string;
  workDir: string;
  timeoutS?: number;
  /** Host header to send (ignored when a script sets its own). */
  host?: string;
}

let scriptSeq = 0;

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const threads = Math.max(1, Math.min(o.threads ?? 1, o.connections));
  const args = ['-t', String(threads), '-c', String(o.connections), '-d', `${o.durationS}s`, '--latency', '--timeout', `${o.timeoutS ?? 5}s`];
  if (o.host !== undefined) args.push('-H', `Host: ${o.host}`);
  if (o.script !== undefined) {
    const file = join(o.workDir, `wrk-${process.pid}-${scriptSeq++}.lua`);
    writeFileSync(file, o.script);
    args.push('-s', file);
  }
  args.push(o.url);
  const [cmd, argv] = o.cpus !== undefined ? ['taskset', ['-c', o.cpus, o.wrk, ...args]] : [o.wrk, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: (o.durationS + 30) * 1000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
      try {
        resolve(parseWrk(stdout));
      } catch (e) {
        reject(new Error(`${(e as Error).message}\n--- wrk output ---\n${stdout}${stderr}`));
      }
    });
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const UNIT_B: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

function durMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (!m) throw new Error(`wrk: cannot read duration ${v}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error('wrk: no Requests/sec in output');
  const pct = (p: string): number | null => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? Math.round(durMs(m[1]!) * 1000) / 1000 : null;
  };
  const reqs = /(\d+) requests in/.exec(out);
  const tr = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = {
    connect: sock ? Number(sock[1]) : 0,
    read: sock ? Number(sock[2]) : 0,
    write: sock ? Number(sock[3]) : 0,
    timeout: sock ? Number(sock[4]) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
  return {
    rps: Number(rps[1]),
    p50Ms: pct('50'),
    p90Ms: pct('90'),
    p99Ms: pct('99'),
    requests: reqs ? Number(reqs[1]) : 0,
    readBytesPerSec: tr ? Number(tr[1]) * (UNIT_B[tr[2]!] ?? 1) : 0,
    errors,
    failed: errors.connect + errors.read + errors.write + errors.timeout + errors.non2xx,
  };
}

/** A Lua script that cycles through (host, path) pairs, pre-formatted so the cost stays in C. */
export function rotateScript(targets: { host: string; path: string }[], method = 'GET', bodyBytes = 0): string {
  const lines = targets.map((t) => `  wrk.format(${JSON.stringify(method)}, ${JSON.stringify(t.path)}, {Host = ${JSON.stringify(t.host)}}${bodyBytes > 0 ? ', body' : ''}),`);
  return [
    bodyBytes > 0 ? `local body = string.rep("x", ${bodyBytes})` : '',
    'local reqs',
    'local i = 0',
    'function init(args)',
    '  reqs = {',
    ...lines,
    '  }',
    'end',
    'function request()',
    '  i = i % #reqs + 1',
    '  return reqs[i]',
    'end',
    '',
  ].join('\n');
}
