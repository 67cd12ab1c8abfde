// Binding the listening sockets of a layer-4 server: the port's own and the extra accept sockets
// of its SO_REUSEPORT group (../accept-sockets.ts: a burst of new connections is accepted in a few
// event-loop turns, not one per turn). Bind failures become WicketError BIND with the port name and
// the system reason, for the data plane's ApplyResult.failedSockets.

import net from 'node:net';
import type { IRPort } from '../../ir/types.ts';
import { ErrorCodes, WicketError } from '../../errors.ts';
import { logger } from '../../log.ts';
import { bindAcceptGroup } from '../accept-sockets.ts';

export interface TcpListening {
  /** The port's server: every accepted connection is its 'connection' event. */
  server: net.Server;
  /** The other sockets of the group, which accept for `server`. */
  extras: net.Server[];
}

export async function listenTcp(port: IRPort, onConnection: (sock: net.Socket) => void): Promise<TcpListening> {
  // allowHalfOpen: a client's FIN is forwarded as a FIN, its read side stays open for the reply.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
  const bound = await bindAcceptGroup(server, port.address, port.port, port.name);
  if (typeof bound === 'string') {
    // The code is the cause's, as a bind error would carry it (L4Slot reports cause.code).
    const cause = Object.assign(new Error(bound), { code: bound });
    throw new WicketError(ErrorCodes.BIND, `${port.name}: cannot listen on ${port.address}:${port.port}: ${bound}`, { cause });
  }
  // Later accept errors (EMFILE and the like) must not crash the process.
  server.on('error', (err) => logger.warn('l4 accept error', { port: port.name, error: err }));
  return { server, extras: bound };
}
