// Readiness checks. TCP ports must accept a connection from the host, as a kubelet
// tcpSocket probe would. UDP has no handshake, so a UDP port counts as ready once the
// process has a socket bound to it, read from the process's own view of /proc/net.
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

export function tcpAccepts(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Whether /proc/net/udp{,6} content lists a socket bound to the port. */
export function udpTableHasPort(tables: string[], port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return tables.some((t) => t.split('\n').slice(1).some((l) => l.trim().split(/\s+/)[1]?.endsWith(`:${hex}`)));
}

export function udpBound(pid: number, port: number): boolean {
  const tables: string[] = [];
  for (const f of ['udp', 'udp6']) {
    try { tables.push(readFileSync(`/proc/${pid}/net/${f}`, 'utf8')); } catch { /* no table */ }
  }
  return udpTableHasPort(tables, port);
}
