// Stand-in for the coredns image of the suite's base manifests. The suite's Corefile
// forwards "." to public resolvers, which the harness must never dial, and only its
// whoami zone matters to the UDPRoute tests. So: zones whose Corefile block says
// `whoami` are answered with the client's address (an A record); every other query
// gets REFUSED. Nothing is ever forwarded.
// Usage: node dns-standin.ts -conf <Corefile>   (port 53 on all addresses)
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { whoamiZones, answer } from './dns-wire.ts';

// coredns spells its flags with one dash (-conf), which node's parseArgs does not accept.
const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.findIndex((x) => x === `-${name}` || x === `--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const conf = flag('conf');
const port = Number(flag('dns.port') ?? 53);
const zones = conf ? whoamiZones(readFileSync(conf, 'utf8')) : [];
console.log(`dns stand-in: whoami zones [${zones.join(', ')}], everything else REFUSED`);

const sock = dgram.createSocket({ type: 'udp4' });
sock.on('message', (msg, rinfo) => {
  const reply = answer(msg, rinfo.address, zones);
  if (reply) sock.send(reply, rinfo.port, rinfo.address);
  console.log(`query from ${rinfo.address}:${rinfo.port} ${reply ? 'answered' : 'dropped'}`);
});
sock.bind(port, '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
