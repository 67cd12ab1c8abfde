import { test } from 'node:test';
import assert from 'node:assert/strict';
import { programFor } from '../images.ts';
import { renderLogs, formatLine } from '../container-logs.ts';
import { udpTableHasPort } from '../probe.ts';
import { IpPool } from '../ip-pool.ts';
import { podStatus } from '../pod-status.ts';
import { whoamiZones, answer } from '../dns-wire.ts';

const progs = { echoBasic: '/bin/echo-basic', dnsStandin: '/x/dns-standin.ts', node: '/bin/node' };

test('images map to local programs and readiness probes follow the echo mode', () => {
  const echo = { image: 'registry.k8s.io/gateway-api/echo-basic:v1.6.0-dev.2' };
  assert.deepEqual(programFor(echo, {}, progs)?.probes, [{ protocol: 'tcp', port: 3000 }]);
  assert.deepEqual(programFor(echo, { UDP_ECHO_SERVER: '1' }, progs)?.probes, [{ protocol: 'udp', port: 8080 }]);
  assert.deepEqual(programFor(echo, { TCP_ECHO_SERVER: '1', TCP_PORT: '4000' }, progs)?.probes, [{ protocol: 'tcp', port: 4000 }]);
  assert.equal(programFor(echo, {}, progs)?.command, '/bin/echo-basic');
  const dns = programFor({ image: 'registry.k8s.io/coredns/coredns:v1.12.2', args: ['-conf', '/root/Corefile'] }, {}, progs);
  assert.deepEqual([dns?.command, dns?.args], ['/bin/node', ['/x/dns-standin.ts', '-conf', '/root/Corefile']]);
  assert.equal(programFor({ image: 'nginx:1' }, {}, progs), null);
});

test('log queries: sinceTime, tailLines, timestamps', () => {
  const content = [
    formatLine(new Date('2026-01-01T00:00:01Z'), 'stdout', 'one'),
    formatLine(new Date('2026-01-01T00:00:02Z'), 'stderr', 'two words'),
    formatLine(new Date('2026-01-01T00:00:03Z'), 'stdout', 'three'),
  ].join('');
  const now = new Date('2026-01-01T00:00:04Z');
  assert.equal(renderLogs(content, {}, now), 'one\ntwo words\nthree\n');
  assert.equal(renderLogs(content, { sinceTime: '2026-01-01T00:00:02Z' }, now), 'two words\nthree\n');
  assert.equal(renderLogs(content, { sinceSeconds: 1 }, now), 'three\n');
  assert.equal(renderLogs(content, { tailLines: 1, timestamps: true }, now), '2026-01-01T00:00:03.000000000Z three\n');
});

test('UDP socket table lookup', () => {
  const table = '  sl  local_address rem_address   st\n   1: 00000000:1F90 00000000:0000 07\n';
  assert.equal(udpTableHasPort([table], 8080), true);
  assert.equal(udpTableHasPort([table], 53), false);
});

test('IP pool skips reserved addresses and recycles last', () => {
  const pool = new IpPool('198.18.0.0/16', ['198.18.0.11']);
  assert.equal(pool.allocate(), '198.18.0.10');
  assert.equal(pool.allocate(), '198.18.0.12');
  pool.release('198.18.0.10');
  assert.equal(pool.allocate(), '198.18.0.13');
});

test('pod status: Running and Ready with pod IPs once every container is ready', () => {
  const s = podStatus({ podIP: '198.18.0.10', hostIP: '198.18.0.1', startTime: 't0', scheduledAt: 't0',
    containers: [{ name: 'c', image: 'i', ready: true, restartCount: 0, startedAt: 't1' }] }, 't2');
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.podIPs, [{ ip: '198.18.0.10' }]);
  assert.equal(s.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
  assert.deepEqual(s.containerStatuses[0].state, { running: { startedAt: 't1' } });
  const waiting = podStatus({ hostIP: '198.18.0.1', startTime: 't0', scheduledAt: 't0',
    containers: [{ name: 'c', image: 'i', ready: false, restartCount: 0, waiting: { reason: 'R', message: 'm' } }] }, 't3', s);
  assert.equal(waiting.phase, 'Pending');
  // Ready flipped, so it gets the new time; Initialized did not, so it keeps the old one.
  assert.equal(waiting.conditions.find((c: { type: string }) => c.type === 'Ready').lastTransitionTime, 't3');
  assert.equal(waiting.conditions.find((c: { type: string }) => c.type === 'Initialized').lastTransitionTime, 't2');
});

test('DNS stand-in answers whoami zones and refuses the rest', () => {
  const corefile = '.:53 {\n  forward . 8.8.8.8\n}\nfoo.bar.com:53 {\n  whoami\n}\n';
  const zones = whoamiZones(corefile);
  assert.deepEqual(zones, ['foo.bar.com']);
  const query = (name: string) => {
    const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
    return Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  };
  const ok = answer(query('foo.bar.com'), '198.18.0.1', zones)!;
  assert.equal(ok.readUInt16BE(0), 0x1234);
  assert.equal(ok[3] & 0x0f, 0);
  assert.equal(ok.readUInt16BE(6), 1);
  assert.deepEqual([...ok.subarray(ok.length - 4)], [198, 18, 0, 1]);
  const refused = answer(query('example.com'), '198.18.0.1', zones)!;
  assert.equal(refused[3] & 0x0f, 5);
});

test('collectRefs finds every Secret and ConfigMap a Pod refers to', async () => {
  const { collectRefs } = await import('../pod-runtime.ts');
  const refs = collectRefs({ spec: {
    volumes: [{ name: 'a', secret: { secretName: 's1' } }, { name: 'b', projected: { sources: [{ configMap: { name: 'c1' } }, { secret: { name: 's2' } }] } }],
    containers: [{ envFrom: [{ configMapRef: { name: 'c2' } }], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's3', key: 'k' } } }, { name: 'Y', valueFrom: { configMapKeyRef: { name: 'c3', key: 'k' } } }] }],
  } });
  assert.deepEqual([...refs.secrets].sort(), ['s1', 's2', 's3']);
  assert.deepEqual([...refs.configMaps].sort(), ['c1', 'c2', 'c3']);
});
