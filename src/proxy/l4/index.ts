// The layer-4 data plane: one server per IRPort of kind 'tls', 'tcp' or 'udp'. Every server has
// the same life cycle — listen(), update(port, clusters) to swap in a new IR generation without
// dropping open connections, close(deadlineMs) to drain — so the data plane can hold them in one
// map by port name.

import type net from 'node:net';
import type { Cluster, IRPort } from '../../ir/types.ts';
import { TcpProxy } from './tcp-proxy.ts';
import { TlsDispatcher, type TlsDispatchOptions } from './tls-dispatch.ts';
import { UdpProxy, type UdpProxyOptions } from './udp-proxy.ts';

export { parseClientHello, ClientHelloReader, type ClientHello, type HelloResult } from './client-hello.ts';
export { L4Metrics, MemoryRegistry, type RegistryLike } from './metrics.ts';
export { TcpProxy, type L4ServerOptions } from './tcp-proxy.ts';
export { TlsDispatcher, type TlsDispatchOptions } from './tls-dispatch.ts';
export { UdpProxy, type UdpProxyOptions } from './udp-proxy.ts';

export interface L4Server {
  listen(): Promise<net.AddressInfo>;
  address(): net.AddressInfo | null;
  update(port: IRPort, clusters: Readonly<Record<string, Cluster>>): void;
  close(deadlineMs?: number): Promise<void>;
}

export type L4Options = TlsDispatchOptions & UdpProxyOptions;

/** The server for a 'tls', 'tcp' or 'udp' port (not yet listening); throws for 'http'. */
export function createL4Server(port: IRPort, clusters: Readonly<Record<string, Cluster>>, opts: L4Options = {}): L4Server {
  switch (port.kind) {
    case 'tls':
      return new TlsDispatcher(port, clusters, opts);
    case 'tcp':
      return new TcpProxy(port, clusters, opts);
    case 'udp':
      return new UdpProxy(port, clusters, opts);
    case 'http':
      throw new Error(`${port.name}: an 'http' port is served by the HTTP engine, not the layer-4 servers`);
  }
}
