// Several listening sockets for one TCP port (SO_REUSEPORT; HTTP ports and layer-4 TCP/TLS ports),
// so that a burst of new connections is accepted within a few turns of the event loop instead of
// one connection per turn.
//
// Why: libuv accepts a single connection each time the event loop finds a listening socket
// readable (libuv pull request #3696: "unix: don't accept() connections in a loop"), and leaves
// the rest of the kernel's accept queue for later turns. Under load a turn handles every ready
// connection (~64 reads and writes, 1.5–2 ms pinned to one core), so the N-th connection of a
// burst waits ~N turns: wrk opening 64 connections against a Wicket already serving load had its
// last connection accepted 30–69 ms after the first (strace: 65 accept4 calls for 64 connections,
// none returning EAGAIN), and those first requests were each round's slowest (wrk max 33–71 ms
// against nginx's 5–9 ms). With K sockets in a reuseport group the kernel spreads new connections
// over K accept queues and each turn accepts from every non-empty one: K = 16 brought the last
// accept to 0–15 ms and the slowest request to 12–22 ms (bench kit in issue 4's note).
//
// The extra sockets only accept: each hands its connection to the port's server as if that server
// had accepted it (its 'connection' event), so TLS, the fast path and node:http see one server.
//
// SO_REUSEPORT would also let another process of the same user bind the port and take a share of
// its connections (a second `wicket run` on the same port would then serve half the clients
// instead of failing). So before binding the group, the port is bound once without it: a port
// held by anyone fails as before (EADDRINUSE). Worker processes (`--workers N`) skip that check:
// they share their ports with each other on purpose (workers/reuse-port.ts).
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { logger } from '../log.ts';
import { reusePortForListeners } from './workers/reuse-port.ts';

/** Environment variable: listening sockets per TCP port (1 = a single socket, no SO_REUSEPORT). */
export const ACCEPT_SOCKETS_ENV = 'WICKET_ACCEPT_SOCKETS';
export const DEFAULT_ACCEPT_SOCKETS = 16;
const MAX_ACCEPT_SOCKETS = 64;

/**
 * Descriptors per listening socket of a port, at least: where the process may open few files
 * (`ulimit -n` 1024), the group shrinks (to 4 sockets there) rather than use up descriptors that
 * client and upstream connections need.
 */
const FDS_PER_ACCEPT_SOCKET = 256;

/**
 * Sockets per port: WICKET_ACCEPT_SOCKETS (an integer 1–64) or the default, at most one per 256
 * descriptors the process may open (`openFilesLimit`, null when unknown: no bound).
 */
export function acceptSocketCount(env: NodeJS.ProcessEnv = process.env, openFilesLimit: number | null = openFiles()): number {
  const v = env[ACCEPT_SOCKETS_ENV];
  let n = DEFAULT_ACCEPT_SOCKETS;
  if (v !== undefined && v !== '') {
    const asked = Number(v);
    if (Number.isInteger(asked) && asked >= 1 && asked <= MAX_ACCEPT_SOCKETS) n = asked;
    else logger.warn('ignoring invalid environment variable', { name: ACCEPT_SOCKETS_ENV, value: v, rule: `an integer from 1 to ${MAX_ACCEPT_SOCKETS}`, using: DEFAULT_ACCEPT_SOCKETS });
  }
  if (openFilesLimit === null) return n;
  return Math.max(1, Math.min(n, Math.floor(openFilesLimit / FDS_PER_ACCEPT_SOCKET)));
}

let openFilesCache: number | null | undefined;

/** The soft limit on open files (Linux, /proc/self/limits; Node raises it to the hard limit at start); null elsewhere. */
function openFiles(): number | null {
  if (openFilesCache !== undefined) return openFilesCache;
  openFilesCache = null;
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line === undefined ? NaN : Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]);
    if (Number.isFinite(soft)) openFilesCache = soft;
  } catch {
    // Not Linux: no bound.
  }
  return openFilesCache;
}

/** listen() as a promise: null once listening, or the error code (EADDRINUSE, EADDRNOTAVAIL, …). */
function bindServer(server: net.Server, options: net.ListenOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      resolve(err.code ?? err.message);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(null);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options);
  });
}

/**
 * Binds `server` on host:port, plus count − 1 sockets that accept for it (count: acceptSocketCount()
 * unless given). Resolves to the extra servers (for closeGroup) or to the error code of the first
 * bind; an extra that cannot bind is logged and left out (the port still serves with the others).
 */
export async function bindAcceptGroup(server: net.Server, host: string, port: number, portName: string, count = acceptSocketCount()): Promise<net.Server[] | string> {
  if (count <= 1) {
    const err = await bindServer(server, { host, port });
    return err ?? [];
  }
  if (!reusePortForListeners() && port !== 0) {
    const probe = net.createServer();
    const err = await bindServer(probe, { host, port });
    if (err !== null) return err;
    await new Promise<void>((r) => probe.close(() => r()));
  }
  const err = await bindServer(server, { host, port, reusePort: true });
  if (err !== null) return err;
  const bound = (server.address() as AddressInfo).port;
  const hand = (socket: net.Socket): void => {
    server.emit('connection', socket);
  };
  // Accepted sockets take their options from the server that accepts them: the same as the
  // port's own (node:http and node:https keep half-open connections, set TCP_NODELAY, …).
  const s = server as net.Server & { allowHalfOpen?: boolean; pauseOnConnect?: boolean; noDelay?: boolean; keepAlive?: boolean; keepAliveInitialDelay?: number; highWaterMark?: number };
  const options: net.ServerOpts = {
    allowHalfOpen: s.allowHalfOpen === true,
    pauseOnConnect: s.pauseOnConnect === true,
    noDelay: s.noDelay === true,
    keepAlive: s.keepAlive === true,
  };
  // Kept in seconds on the server, given in milliseconds.
  if (typeof s.keepAliveInitialDelay === 'number') options.keepAliveInitialDelay = s.keepAliveInitialDelay * 1000;
  if (typeof s.highWaterMark === 'number') options.highWaterMark = s.highWaterMark;
  const extras = await Promise.all(
    Array.from({ length: count - 1 }, async () => {
      const extra = net.createServer(options, hand);
      const e = await bindServer(extra, { host, port: bound, reusePort: true });
      if (e !== null) {
        logger.warn('extra accept socket not bound', { port: portName, error: e });
        return null;
      }
      extra.on('error', (error: NodeJS.ErrnoException) => logger.warn('listener socket error', { port: portName, error }));
      return extra;
    }),
  );
  return extras.filter((x): x is net.Server => x !== null);
}

/** Closes the port's server and its extra sockets; resolves once each has closed, which waits for the connections it accepted. */
export function closeGroup(server: net.Server, extras: readonly net.Server[]): Promise<void> {
  return Promise.all([server, ...extras].map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
}
