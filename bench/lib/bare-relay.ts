// A bare TCP relay on Node, the floor under Wicket's data plane (bench/relay-floor.ts): every
// client connection gets its own upstream connection and bytes go across as they come, with no
// HTTP parsing, no routing, no per-request object. It moves bytes the way Wicket's fast path does
// (src/proxy/fast/): reads land in one shared buffer per side (read-into.ts for accepted sockets,
// `onread` for the upstream ones) and writes go straight through the socket's handle
// (write-direct.ts). Each read is copied before its write, so a write the kernel takes only in
// part never holds the shared buffer; that copy is the only allocation per message.
//
//   node bench/lib/bare-relay.ts LISTEN_PORT UPSTREAM_PORT   (both on 127.0.0.1)
import { connect, createServer, type Socket } from 'node:net';
import { installReadInto } from '../../src/proxy/fast/read-into.ts';
import { writeDirect } from '../../src/proxy/fast/write-direct.ts';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || !Number.isInteger(upstreamPort)) {
  console.error('usage: node bench/lib/bare-relay.ts LISTEN_PORT UPSTREAM_PORT');
  process.exit(2);
}

const CLIENT_READ = Buffer.allocUnsafe(64 * 1024);
const UPSTREAM_READ = Buffer.allocUnsafe(64 * 1024);

const server = createServer({ noDelay: true }, (client: Socket) => {
  const upstream = connect({
    host: '127.0.0.1',
    port: upstreamPort,
    noDelay: true,
    onread: {
      buffer: UPSTREAM_READ,
      callback: (n: number, buf: Uint8Array): boolean => {
        writeDirect(client, Buffer.copyBytesFrom(buf, 0, n));
        return true;
      },
    },
  });
  // Until the upstream connects, writeDirect falls back to socket.write(), which queues.
  const direct = installReadInto(client, CLIENT_READ, (n: number, buf: Buffer): boolean => {
    writeDirect(upstream, Buffer.copyBytesFrom(buf, 0, n));
    return true;
  });
  if (!direct) client.on('data', (chunk: Buffer) => writeDirect(upstream, chunk));
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(listenPort, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
