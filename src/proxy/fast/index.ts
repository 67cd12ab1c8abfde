// The fast data path: a raw-socket HTTP/1.1 front end (http1-connection.ts) and raw keep-alive
// upstream pools (upstream-pool.ts). On by default; WICKET_FAST_PATH=0 in the environment turns
// both off (every connection then goes through node:http and every request through undici).
import type { Socket } from 'node:net';
import type { PortSlot } from '../port-slot.ts';
import { FastConnection, HEADERS_TIMEOUT_MS, KEEP_ALIVE_MS, LINGER_MS, type FastFrontEnd } from './http1-connection.ts';
import { IdleSweep } from './idle-sweep.ts';

export function fastPathEnabled(): boolean {
  return process.env.WICKET_FAST_PATH !== '0';
}

export interface FastHttp1 {
  /**
   * Serve a connection: TLS that negotiated http/1.1, or cleartext (`cleartext`: its first bytes
   * may also be the HTTP/2 preface, then it goes to the `http2` handler given at creation).
   */
  accept(socket: Socket, cleartext?: boolean): void;
  /** Port closing: idle connections close, busy ones after their current response. */
  closeIdle(): void;
  destroyAll(): void;
  readonly size: number;
}

/** Client-side timeouts of fast connections; tests shorten them (read when a port is bound). */
export const fastTimeouts = { keepAliveMs: KEEP_ALIVE_MS, headersMs: HEADERS_TIMEOUT_MS, lingerMs: LINGER_MS };

export function createFastHttp1(slot: PortSlot, fallback: (socket: Socket) => void, http2?: (socket: Socket) => void): FastHttp1 {
  const fe: FastFrontEnd = {
    timeouts: fastTimeouts,
    fallback,
    sweep: new IdleSweep<FastConnection>(fastTimeouts),
  };
  if (http2 !== undefined) fe.http2 = http2;
  return {
    accept(socket: Socket, cleartext = false): void {
      new FastConnection(socket, slot, fe, cleartext);
    },
    closeIdle(): void {
      for (const c of [...fe.sweep.connections]) c.closeIdle();
    },
    destroyAll(): void {
      for (const c of [...fe.sweep.connections]) c.socket.destroy();
    },
    get size(): number {
      return fe.sweep.connections.size;
    },
  };
}
