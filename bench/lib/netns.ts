// A backend with a non-loopback address, for Kubernetes mode: the API server rejects loopback
// addresses in EndpointSlices, so the bench makes its own network namespace joined to the host by a
// veth pair inside 198.18.0.0/15 (the benchmarking range; no other range is ever used), host side
// 198.18.200.1/30, namespace side 198.18.200.2/30, no default route in the namespace, and runs a
// tiny Node server answering 200 there. Everything is removed at the end, also on failure and on
// process exit (the namespace and veth by name, the server by PID).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { sleep } from './net.ts';
import { start, stop, type Owned } from './proc.ts';

export const HOST_ADDRESS = '198.18.200.1';
export const BACKEND_ADDRESS = '198.18.200.2';
const PREFIX = 30;

export interface NetnsBackend {
  namespace: string;
  address: string;
  port: number;
  pid: number;
  /** Stops the server and deletes the namespace and veth; safe to call twice. */
  close(): Promise<void>;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Deletes the namespace (which takes its veth end, and so the pair) and the host end if left over. */
function removeSync(ns: string, hostIf: string): void {
  try {
    if (ip(['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === ns)) ip(['netns', 'del', ns]);
  } catch {
    /* already gone */
  }
  try {
    ip(['link', 'del', hostIf]);
  } catch {
    /* gone with the namespace */
  }
}

/** One GET to address:port; resolves with the status, or 0 on a socket error or timeout. */
function getAt(address: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export async function startNetnsBackend(workDir: string, log: (m: string) => void): Promise<NetnsBackend> {
  // Names carry our PID so a leftover from another run is never ours to touch; veth names ≤ 15 chars.
  const ns = `wicket-bench-${process.pid}`;
  const hostIf = `wbh${process.pid}`.slice(0, 15);
  const nsIf = `wbn${process.pid}`.slice(0, 15);
  if (ip(['-4', '-o', 'addr', 'show']).includes(` ${HOST_ADDRESS}/`)) {
    throw new Error(`${HOST_ADDRESS} is already assigned on this host (a leftover bench namespace?): see "ip -4 addr"; not touching it`);
  }
  let owned: Owned | undefined;
  let closed = false;
  const onExit = (): void => {
    if (owned) {
      try {
        process.kill(owned.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    removeSync(ns, hostIf);
  };
  process.once('exit', onExit);
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (owned) await stop(owned);
    removeSync(ns, hostIf);
    process.removeListener('exit', onExit);
  };
  try {
    ip(['netns', 'add', ns]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', ns]);
    ip(['addr', 'add', `${HOST_ADDRESS}/${PREFIX}`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'addr', 'add', `${BACKEND_ADDRESS}/${PREFIX}`, 'dev', nsIf]);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const port = 8080; // the namespace is ours alone: a fixed port cannot collide
    const file = join(workDir, 'netns-backend.cjs');
    writeFileSync(
      file,
      [
        "const http = require('node:http');",
        "const s = http.createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' }); res.end('ok\\n'); });",
        's.keepAliveTimeout = 120000;',
        `s.listen(${port}, '${BACKEND_ADDRESS}');`,
      ].join('\n'),
    );
    // `ip netns exec` execs the command after entering the namespace, so the PID we hold is node's.
    owned = start('netns-backend', 'ip', ['netns', 'exec', ns, process.execPath, file], { logFile: join(workDir, 'netns-backend.log') });
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      ok = (await getAt(BACKEND_ADDRESS, port, 500)) === 200;
      if (!ok) await sleep(50);
    }
    if (!ok) throw new Error(`backend in ${ns} did not answer on ${BACKEND_ADDRESS}:${port} within 10 s: ${owned.tail() || 'no output'}`);
    log(`  backend in netns ${ns} on ${BACKEND_ADDRESS}:${port} (pid ${owned.pid})`);
    return { namespace: ns, address: BACKEND_ADDRESS, port, pid: owned.pid, close };
  } catch (e) {
    await close();
    throw e;
  }
}
