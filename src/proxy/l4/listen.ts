// Binding the listening socket of a layer-4 server. Bind failures become WicketError BIND with
// the port name and the system reason, for the data plane's ApplyResult.failedSockets.

import net from 'node:net';
import type { IRPort } from '../../ir/types.ts';
import { ErrorCodes, WicketError } from '../../errors.ts';
import { logger } from '../../log.ts';

export function listenTcp(port: IRPort, onConnection: (sock: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: a client's FIN is forwarded as a FIN, its read side stays open for the reply.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new WicketError(ErrorCodes.BIND, `${port.name}: cannot listen on ${port.address}:${port.port}: ${err.code ?? err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: port.address, port: port.port }, () => {
      server.removeListener('error', onError);
      // Later accept errors (EMFILE and the like) must not crash the process.
      server.on('error', (err) => logger.warn('l4 accept error', { port: port.name, error: err }));
      resolve(server);
    });
  });
}
