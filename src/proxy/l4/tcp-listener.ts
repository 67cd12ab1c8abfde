// The listening sockets of a TCP-based layer-4 port (TCP and TLS): bound by listenTcp(), its
// address while bound, and its close. One object per proxy, so the TCP proxy and the TLS
// dispatcher share the bind/close handling instead of each keeping a server field.

import type net from 'node:net';
import type { IRPort } from '../../ir/types.ts';
import { closeGroup } from '../accept-sockets.ts';
import { listenTcp } from './listen.ts';

export class TcpPortListener {
  private server: net.Server | null = null;
  /** The other listening sockets of the port's group (listen.ts). */
  private extras: net.Server[] = [];

  /** Binds the port's address and port (port 0 = any free port); connections go to `onConnection`. */
  async listen(port: IRPort, onConnection: (sock: net.Socket) => void): Promise<net.AddressInfo> {
    const { server, extras } = await listenTcp(port, onConnection);
    this.server = server;
    this.extras = extras;
    return server.address() as net.AddressInfo;
  }

  /** The bound address while listening (null before listen() and after close()). */
  address(): net.AddressInfo | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : null;
  }

  /**
   * Stops accepting. The promise settles when the server reports closed, which waits for every
   * connection it accepted — callers that hand connections elsewhere need not await it.
   */
  close(): Promise<void> {
    const server = this.server;
    const extras = this.extras;
    this.server = null;
    this.extras = [];
    return server === null ? Promise.resolve() : closeGroup(server, extras);
  }
}
