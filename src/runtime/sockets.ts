// The data plane reports failed sockets by IRPort name (`address:port/http|tls|tcp|udp`); the
// translator takes them as `address:port/tcp|udp`, the transport the socket binds. This maps one to
// the other. IPv6 addresses are written in brackets, like the IR's port names.
import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import type { IR } from '../ir/types.ts';

export function toUnavailableSockets(ir: IR, failed: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, reason] of Object.entries(failed)) {
    const port = ir.ports.find((p) => p.name === name);
    const host = port && isIPv6(port.address) ? `[${port.address}]` : port?.address;
    if (port) out[`${host}:${port.port}/${port.kind === 'udp' ? 'udp' : 'tcp'}`] = reason;
    else out[name.replace(/\/(http|tls)$/, '/tcp')] = reason;
  }
  return out;
}

/**
 * Whether a socket named `address:port/tcp|udp` (IPv6 in brackets) could be bound now: binds it
 * for a moment and lets go. Used to notice that a busy port freed up without disturbing anything.
 */
export async function socketIsFree(name: string): Promise<boolean> {
  const m = /^\[?([^\]]*?)\]?:(\d+)\/(tcp|udp)$/.exec(name);
  if (!m) return false;
  const [, address, portText, transport] = m;
  const port = Number(portText);
  if (transport === 'udp') {
    const sock = createSocket(isIPv6(address!) ? 'udp6' : 'udp4');
    return new Promise((resolve) => {
      sock.once('error', () => {
        sock.close();
        resolve(false);
      });
      sock.bind(port, address, () => sock.close(() => resolve(true)));
    });
  }
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
}
