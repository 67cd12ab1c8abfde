// Stand-in for the coredns image of the suite's base manifests. The suite's Corefile
// forwards "." to public resolvers, which the harness must never dial, and only its
// whoami zone matters to the UDPRoute tests. So: zones whose Corefile block says
// `whoami` are answered with the client's address (an A record); every other query
// gets REFUSED. Nothing is ever forwarded.
// Usage: node dns-standin.ts -conf <Corefile>   (port 53 on all addresses)
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { whoamiZones, answer } from './dns-wire.ts';

const { values } = parseArgs({ options: { conf: { type: 'string' }, port: { type: 'string', default: '53' } }, allowPositionals: true });
const zones = values.conf ? whoamiZones(readFileSync(values.conf, 'utf8')) : [];
console.log(`dns stand-in: whoami zones [${zones.join(', ')}], everything else REFUSED`);

const sock = dgram.createSocket({ type: 'udp4' });
sock.on('message', (msg, rinfo) => {
  const reply = answer(msg, rinfo.address, zones);
  if (reply) sock.send(reply, rinfo.port, rinfo.address);
  console.log(`query from ${rinfo.address}:${rinfo.port} ${reply ? 'answered' : 'dropped'}`);
});
sock.bind(Number(values.port), '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
