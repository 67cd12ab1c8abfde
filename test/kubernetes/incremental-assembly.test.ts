// The provider assembles snapshots incrementally (SnapshotAssembler: sorted lists patched by the
// keys that changed, route → Service references counted). That must be invisible: after random
// watch events and relists, every kind's list holds exactly the objects, in the order, that
// assembleSnapshot() builds from the same caches from scratch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotAssembler, type KindSource } from '../../src/providers/kubernetes/incremental-assembly.ts';
import { KINDS, type WatchedKind } from '../../src/providers/kubernetes/kinds.ts';
import { assembleSnapshot } from '../../src/providers/kubernetes/snapshot-assembly.ts';
import type { Snapshot } from '../../src/resources/snapshot.ts';
import { prng } from '../helpers/prng.ts';

const OURS = 'wicket.dev/gateway-controller';
const NS = ['a', 'b', 'c'];

for (const seed of [21, 22, 23]) {
  test(`incremental snapshot assembly equals assembling from scratch (seed ${seed})`, () => {
    const r = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const stores = new Map<WatchedKind, Map<string, any>>(KINDS.map((k) => [k.kind, new Map()]));
    const changes = new Map<WatchedKind, Set<string> | 'all'>(KINDS.map((k) => [k.kind, 'all']));
    const put = (kind: WatchedKind, obj: any) => {
      const k = obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
      if (obj.deleted) stores.get(kind)!.delete(k);
      else stores.get(kind)!.set(k, obj);
      const c = changes.get(kind)!;
      if (c !== 'all') c.add(k);
    };
    const svcRef = () => ({ name: `s${Math.floor(r() * 6)}`, ...(r() < 0.2 ? { namespace: pick(NS) } : {}), port: 80 });
    const random: [WatchedKind, () => any][] = [
      ['GatewayClass', () => ({ metadata: { name: pick(['wicket', 'other']) }, spec: { controllerName: r() < 0.7 ? OURS : 'x.io/y' } })],
      ['Gateway', () => ({ metadata: { name: `g${Math.floor(r() * 3)}`, namespace: pick(NS) }, spec: { gatewayClassName: pick(['wicket', 'other']), listeners: [{ name: 'l', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: `cert${Math.floor(r() * 3)}` }] } }] } })],
      ['HTTPRoute', () => ({ metadata: { name: `r${Math.floor(r() * 12)}`, namespace: pick(NS) }, spec: { rules: [{ backendRefs: [svcRef(), ...(r() < 0.3 ? [svcRef()] : [])], ...(r() < 0.2 ? { filters: [{ type: 'RequestMirror', requestMirror: { backendRef: svcRef() } }] } : {}) }] } })],
      ['GRPCRoute', () => ({ metadata: { name: `q${Math.floor(r() * 4)}`, namespace: pick(NS) }, spec: { rules: [{ backendRefs: [svcRef()] }] } })],
      ['Service', () => ({ metadata: { name: `s${Math.floor(r() * 6)}`, namespace: pick(NS) }, spec: {} })],
      ['EndpointSlice', () => {
        const svc = `s${Math.floor(r() * 6)}`;
        return { metadata: { name: `${svc}-${Math.floor(r() * 2)}`, namespace: pick(NS), labels: { 'kubernetes.io/service-name': svc } } };
      }],
      ['Secret', () => ({ metadata: { name: `cert${Math.floor(r() * 3)}`, namespace: pick(NS) } })],
      ['BackendTLSPolicy', () => ({ metadata: { name: 'p', namespace: pick(NS) }, spec: { targetRefs: [{ group: '', kind: 'Service', name: `s${Math.floor(r() * 6)}` }], validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }] } } })],
      ['ConfigMap', () => ({ metadata: { name: pick(['ca', 'other']), namespace: pick(NS) } })],
      ['Namespace', () => ({ metadata: { name: pick(NS) } })],
    ];
    const assembler = new SnapshotAssembler(OURS);
    let emitted = 0;
    for (let step = 0; step < 400; step++) {
      const [kind, make] = pick(random);
      const obj = make();
      if (r() < 0.25) obj.deleted = true;
      put(kind, obj);
      if (r() < 0.03) changes.set(pick(KINDS).kind, 'all'); // a relist
      if (r() < 0.3) continue; // events coalesced into the next snapshot
      const sources = new Map<WatchedKind, KindSource>();
      for (const info of KINDS) {
        const store = stores.get(info.kind)!;
        const c = changes.get(info.kind)!;
        changes.set(info.kind, new Set());
        sources.set(info.kind, { changes: c, items: () => [...store.values()], get: (k) => store.get(k) });
      }
      const got = assembler.assemble(sources);
      const caches = Object.fromEntries([...stores].map(([k, m]) => [k, [...m.values()]]));
      const want = assembleSnapshot(caches as never, OURS);
      for (const info of KINDS) {
        const g = got[info.field] as unknown[];
        const w = want[info.field] as unknown[];
        assert.equal(g.length, w.length, `seed ${seed} step ${step}: ${info.kind} count`);
        for (let i = 0; i < w.length; i++) assert.equal(g[i], w[i], `seed ${seed} step ${step}: ${info.kind}[${i}]`);
      }
      emitted++;
      assertKinds(got);
    }
    assert.ok(emitted > 100);
  });
}

function assertKinds(s: Snapshot): void {
  for (const info of KINDS) assert.ok(Array.isArray(s[info.field]));
}
