// The HTTP/2 connection preface (RFC 9113 §3.4): what a client with prior knowledge sends first on
// a cleartext connection, and how a port tells it from HTTP/1.1 by the first bytes — the fast
// HTTP/1.1 connection (fast/http1-connection.ts) and node:http's sniffer (frontend/server.ts).

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** The bytes [0, n) of buf are the preface or the start of it (an HTTP/1.1 request never is). */
export function mayBePreface(buf: Buffer, n: number): boolean {
  const m = n < H2_PREFACE.length ? n : H2_PREFACE.length;
  for (let i = 0; i < m; i++) if (buf[i] !== H2_PREFACE[i]) return false;
  return true;
}
