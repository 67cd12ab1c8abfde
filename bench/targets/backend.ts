// The backends: nginx answering `return 200` (and serving body files), and a small Node sink that
// reads a request body to the end before answering (nginx's `return` answers before the body has
// arrived, which would measure nothing for uploads). Plus the "direct" target: the client talking
// to the backend itself, the physical limit of this machine.
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor200 } from '../lib/net.ts';
import { start, stop, type Owned } from '../lib/proc.ts';
import { backendNginxConfig } from '../peers/backend.ts';
import type { Target } from './types.ts';

export interface Backend {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

let seq = 0;

export async function startBackend(nginx: string, workRoot: string, cpus?: string): Promise<Backend> {
  const tag = `b${seq++}`;
  const dir = join(workRoot, 'backend');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'files'), { recursive: true });
  const port = await freePort();
  const conf = join(dir, `${tag}.conf`);
  writeFileSync(conf, backendNginxConfig({ workDir: dir, port, tag }));
  const p = start(`backend-${tag}`, nginx, ['-p', dir, '-c', conf], { cpus, logFile: join(dir, `${tag}.log`) });
  let exit: string | null = null;
  void p.exited.then((c) => (exit = `backend nginx exited (${c}): ${p.tail()}`));
  const ms = await waitFor200(port, 'backend', '/', { since: performance.now(), timeoutMs: 10_000, abort: () => exit });
  if (ms === null) {
    await stop(p);
    throw new Error(exit ?? 'backend nginx did not answer within 10 s');
  }
  return { port, pid: p.pid, stop: () => stop(p) };
}

/** Files the backend serves at any path ending in /files/NAME; sparse, so they cost no disk. */
export function ensureBodyFile(workRoot: string, name: string, bytes: number): void {
  const dir = join(workRoot, 'backend', 'files');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, '');
  // Extends with zeros without writing them.
  truncateSync(file, bytes);
}

export async function startSink(workRoot: string, cpus?: string): Promise<{ port: number; owned: Owned }> {
  const dir = join(workRoot, 'backend');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const code = [
    "const http = require('node:http');",
    'const s = http.createServer((req, res) => {',
    '  let n = 0;',
    '  req.on("data", (c) => { n += c.length; });',
    '  req.on("end", () => { res.writeHead(200, { "content-type": "text/plain", "content-length": String(String(n).length + 1) }); res.end(n + "\\n"); });',
    '});',
    's.keepAliveTimeout = 120000;',
    `s.listen(${port}, '127.0.0.1');`,
  ].join('\n');
  const file = join(dir, 'sink.cjs');
  writeFileSync(file, code);
  const owned = start('sink', process.execPath, [file], { cpus, logFile: join(dir, 'sink.log') });
  const ms = await waitFor200(port, 'sink', '/', { since: performance.now(), timeoutMs: 10_000 });
  if (ms === null) throw new Error(`upload sink did not answer: ${owned.tail()}`);
  return { port, owned };
}

export function directTarget(backendPort: number, pid: number): Target {
  const noop = async (): Promise<void> => undefined;
  return {
    kind: 'direct',
    port: backendPort,
    pids: [pid],
    startToServingMs: 0,
    generateMs: 0,
    addRoute: noop,
    removeRoute: noop,
    replaceAll: noop,
    died: () => null,
    stop: noop,
  };
}
