// A UDP port removed while a session is open keeps its socket to drain; when the same port comes
// back before the drain ends (the conformance suite re-creates Gateways that way), the data plane
// must cut the drain short and bind again instead of failing with EADDRINUSE.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, test } from 'node:test';
import type { IR, IRPort } from '../../src/ir/types.ts';
import { newDataPlane } from './helpers.ts';
import { udpBackend } from './l4/helpers.ts';

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function udpIR(port: number, backendPort: number | null): IR {
  const ports: IRPort[] =
    backendPort === null
      ? []
      : [
          {
            name: `127.0.0.1:${port}/udp`,
            address: '127.0.0.1',
            port,
            kind: 'udp',
            listeners: [{ name: 'ns/gw/udp', gateway: 'ns/gw', protocol: 'UDP', l4Route: { route: 'UDPRoute/ns/u', backends: [{ cluster: 'u', weight: 1, filters: [] }] } }],
          },
        ];
  const clusters = backendPort === null ? {} : { u: { name: 'u', protocol: 'udp' as const, endpoints: [{ address: '127.0.0.1', port: backendPort, weight: 1 }] } };
  return { version: 1, ports, clusters } as IR;
}

async function ask(sock: dgram.Socket, msg: string, port: number): Promise<string> {
  const reply = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no UDP reply')), 2000);
    sock.once('message', (m) => {
      clearTimeout(t);
      resolve(m.toString());
    });
  });
  sock.send(msg, port, '127.0.0.1');
  return reply;
}

const dp = newDataPlane({ closeDeadlineMs: 60_000 });
const client = dgram.createSocket('udp4');
after(async () => {
  client.close();
  await dp.drain(0);
});

test('a UDP port removed with an open session and added back is bound again at once', async () => {
  const backend = await udpBackend('b');
  after(() => backend.close());
  const port = await freeUdpPort();
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));

  assert.deepEqual((await dp.apply(udpIR(port, backend.port))).failedSockets, {});
  assert.equal(await ask(client, 'one', port), 'b:one');

  // Removed: the open session would keep the socket for up to 60 s.
  assert.deepEqual((await dp.apply(udpIR(port, null))).failedSockets, {});
  // Back again: no EADDRINUSE, and it serves.
  assert.deepEqual((await dp.apply(udpIR(port, backend.port))).failedSockets, {});
  assert.equal(await ask(client, 'two', port), 'b:two');
});
