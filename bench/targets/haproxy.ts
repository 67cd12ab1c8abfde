// HAProxy as a peer: config and map files generated from the manifests, master-worker mode in the
// foreground, reloaded with SIGUSR2 to the master (the new worker takes over the listening sockets).
import { mkdirSync } from 'node:fs';
import { writeAtomic } from '../lib/files.ts';
import { join } from 'node:path';
import { freePort, sleep, waitFor200 } from '../lib/net.ts';
import { start, stop } from '../lib/proc.ts';
import { haproxyConfig } from '../peers/haproxy.ts';
import { peerTable } from '../peers/table.ts';
import { RouteBook } from './reloading.ts';
import { Unavailable, type Target, type TargetOptions } from './types.ts';

let seq = 0;

export async function startHaproxy(bin: string, o: TargetOptions, cpuCount: number): Promise<Target> {
  const dir = join(o.workRoot, `haproxy-${seq++}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const book = new RouteBook(o.set);
  const conf = join(dir, 'haproxy.cfg');
  const threads = o.workers === 'auto' ? cpuCount : o.workers;
  const write = (): number => {
    const t0 = performance.now();
    const f = haproxyConfig(peerTable(book.set), { workDir: dir, listenPort: port, threads });
    writeAtomic(join(dir, 'exact.map'), f.exactMap);
    writeAtomic(join(dir, 'prefix.map'), f.prefixMap);
    writeAtomic(conf, f.config);
    return performance.now() - t0;
  };
  const generateMs = write();
  const t0 = performance.now();
  const p = start('haproxy', bin, ['-W', '-db', '-f', conf], { cpus: o.cpus, logFile: join(dir, 'stdout.log') });
  let exit: string | null = null;
  void p.exited.then((c) => (exit = `haproxy exited (${c}): ${p.tail()}`));
  const ms = await waitFor200(port, o.probe.host, o.probe.path, { since: t0, timeoutMs: o.startTimeoutMs, abort: () => exit });
  if (ms === null) {
    await stop(p);
    throw new Unavailable('haproxy', exit ?? `no 200 on ${o.probe.host}${o.probe.path} within ${o.startTimeoutMs} ms: ${p.tail()}`);
  }
  // The master drops a SIGUSR2 that arrives while it is still busy with the previous reload, so
  // each reload is confirmed from its log ("Reloading HAProxy") and the signal sent again if not.
  let reloads = 0;
  let buf = '';
  p.child.stderr!.on('data', (b: Buffer) => {
    buf = (buf + b.toString()).slice(-200);
    const m = buf.match(/Reloading HAProxy/g);
    if (m) {
      reloads += m.length;
      buf = buf.slice(buf.lastIndexOf('Reloading HAProxy') + 17);
    }
  });
  const reload = async (): Promise<void> => {
    write();
    const before = reloads;
    for (let attempt = 0; attempt < 10 && reloads === before && !exit; attempt++) {
      process.kill(p.pid, 'SIGUSR2');
      for (let i = 0; i < 25 && reloads === before; i++) await sleep(20);
    }
  };
  return {
    kind: 'haproxy',
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
