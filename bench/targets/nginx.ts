// nginx as a peer: config generated from the manifests, run in the foreground, reloaded with
// SIGHUP to its master.
import { mkdirSync } from 'node:fs';
import { writeAtomic } from '../lib/files.ts';
import { join } from 'node:path';
import { freePort, waitFor200 } from '../lib/net.ts';
import { start, stop } from '../lib/proc.ts';
import { nginxConfig } from '../peers/nginx.ts';
import { peerTable } from '../peers/table.ts';
import { RouteBook } from './reloading.ts';
import { Unavailable, type Target, type TargetOptions } from './types.ts';

let seq = 0;

export async function startNginx(bin: string, o: TargetOptions): Promise<Target> {
  const dir = join(o.workRoot, `nginx-${seq++}`);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const port = await freePort();
  const book = new RouteBook(o.set);
  const conf = join(dir, 'nginx.conf');
  const write = (): number => {
    const t0 = performance.now();
    writeAtomic(conf, nginxConfig(peerTable(book.set), { workDir: dir, listenPort: port, workers: o.workers }));
    return performance.now() - t0;
  };
  const generateMs = write();
  const t0 = performance.now();
  const p = start('nginx', bin, ['-p', dir, '-c', conf], { cpus: o.cpus, logFile: join(dir, 'stdout.log') });
  let exit: string | null = null;
  void p.exited.then((c) => (exit = `nginx exited (${c}): ${p.tail()}`));
  const ms = await waitFor200(port, o.probe.host, o.probe.path, { since: t0, timeoutMs: o.startTimeoutMs, abort: () => exit });
  if (ms === null) {
    await stop(p);
    throw new Unavailable('nginx', exit ?? `no 200 on ${o.probe.host}${o.probe.path} within ${o.startTimeoutMs} ms: ${p.tail()}`);
  }
  const reload = async (): Promise<void> => {
    write();
    process.kill(p.pid, 'SIGHUP');
  };
  return {
    kind: 'nginx',
    port,
    pids: [p.pid],
    startToServingMs: ms,
    generateMs,
    addRoute: async (r) => (book.add(r), reload()),
    removeRoute: async (n) => (book.remove(n), reload()),
    replaceAll: async (s) => (book.replace(s), reload()),
    died: () => exit,
    stop: () => stop(p),
  };
}
