// One piece of a message body written to a socket, framed as a chunk when the body is chunked.
// Shared by the fast front end (responses) and the fast upstream pool (request bodies).
import type { Socket } from 'node:net';

/**
 * Writes `chunk` (with its chunk-size line and CRLF when `chunked`); `cb` runs once the bytes of
 * `chunk` are written. Call it corked so that the pieces go out in one writev. Returns what the
 * last socket.write() returned (false: wait for 'drain').
 */
export function writeBodyPiece(sock: Socket, chunk: Buffer, chunked: boolean, cb?: () => void): boolean {
  if (!chunked) return sock.write(chunk, cb);
  sock.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
  sock.write(chunk, cb);
  return sock.write('\r\n', 'latin1');
}
