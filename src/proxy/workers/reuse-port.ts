// SO_REUSEPORT for every listening socket a worker process binds, so that N workers bind the same
// address and port and the kernel spreads new connections (and UDP flows, by 4-tuple hash) over
// them. The data plane binds through net.Server#listen({host, port}) and dgram Socket#bind({address,
// port}); rather than thread a flag through every server it creates, a worker process (and only a
// worker process: it serves nothing else) turns the option on for those two calls.
//
// Only binds with an explicit options object get it. A UDP socket that binds implicitly (an
// upstream socket on its first send) must not: with SO_REUSEPORT two such sockets could share an
// ephemeral port and receive each other's replies.
import dgram from 'node:dgram';
import net from 'node:net';

let installed = false;

/** Whether this process binds every port with SO_REUSEPORT (a worker process: it shares its ports on purpose). */
export function reusePortForListeners(): boolean {
  return installed;
}

export function enableReusePortForListeners(): void {
  if (installed) return;
  installed = true;

  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const first = args[0];
    if (isOptions(first) && 'port' in first) args[0] = { ...first, reusePort: true };
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;

  const bind = dgram.Socket.prototype.bind;
  dgram.Socket.prototype.bind = function (this: dgram.Socket, ...args: unknown[]) {
    const first = args[0];
    if (isOptions(first) && typeof first['port'] === 'number') setUdpReusePort(this);
    return (bind as (...a: unknown[]) => dgram.Socket).apply(this, args);
  } as typeof bind;
}

function isOptions(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * dgram takes reusePort only at createSocket(); the flag lives in the socket's state object and
 * is read at bind(), so it is set there. Checked by the worker tests (a UDP port served by every
 * worker); if a Node version moves it, the bind fails with EADDRINUSE and is reported.
 */
function setUdpReusePort(socket: dgram.Socket): void {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = sym === undefined ? undefined : (socket as unknown as Record<symbol, { reusePort?: boolean } | undefined>)[sym];
  if (state !== undefined && typeof state === 'object') state.reusePort = true;
}
