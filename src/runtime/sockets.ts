// The data plane reports failed sockets by IRPort name (`address:port/http|tls|tcp|udp`); the
// translator takes them as `address:port/tcp|udp`, the transport the socket binds. This maps one to
// the other.
import type { IR } from '../ir/types.ts';

export function toUnavailableSockets(ir: IR, failed: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, reason] of Object.entries(failed)) {
    const port = ir.ports.find((p) => p.name === name);
    if (port) out[`${port.address}:${port.port}/${port.kind === 'udp' ? 'udp' : 'tcp'}`] = reason;
    else out[name.replace(/\/(http|tls)$/, '/tcp')] = reason;
  }
  return out;
}
