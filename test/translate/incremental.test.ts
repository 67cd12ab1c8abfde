// The translator reuses work across calls: per-object memos (route-memo.ts, the IR rules and
// virtual hosts of ir-build.ts, route statuses) and, when only routes change, the whole last
// translation, updated (route-state.ts). This checks that the reuse is invisible: a sequence of
// random edits translated incrementally (unchanged objects kept, edited ones replaced) gives
// exactly the IR and statuses of the full path on fresh copies (translateScratch: every object a
// fresh copy, nothing kept or reused), and each result's statuses stay its own when read late.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translate, translateScratch } from '../../src/translate/index.ts';
import { keptStats } from '../../src/translate/route-state.ts';
import type { Snapshot } from '../../src/resources/snapshot.ts';
import { prng } from '../helpers/prng.ts';
import { base, edit, OPTIONS, routeBase, routeEdit } from './random-snapshots.ts';

function render(result: { ir: unknown; statuses: unknown }): string {
  return JSON.stringify({ ir: result.ir, statuses: result.statuses });
}

const scratch = (s: Snapshot) => translateScratch(structuredClone(s), OPTIONS);

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`random edits translated incrementally equal translating each snapshot from scratch (seed ${seed})`, () => {
    const r = prng(seed);
    const endpointsBefore = keptStats.endpoints;
    let s = base(r);
    for (let step = 0; step < 120; step++) {
      s = edit(r, s, step);
      const incremental = render(translate(s, OPTIONS));
      const fresh = render(scratch(s));
      assert.equal(incremental, fresh, `seed ${seed}, step ${step}: incremental translation differs from a fresh one`);
      // And once more with nothing changed: still the same.
      if (step % 10 === 0) assert.equal(render(translate(s, OPTIONS)), fresh, `seed ${seed}, step ${step}: repeated translation differs`);
    }
    // EndpointSlice edits (about one step in ten) update the kept translation's clusters.
    assert.ok(keptStats.endpoints - endpointsBefore >= 3, `only ${keptStats.endpoints - endpointsBefore} EndpointSlice changes kept the translation`);
  });
}

for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
  test(`route-only edits update the kept translation exactly (seed ${seed})`, () => {
    const r = prng(seed);
    let s = routeBase(r);
    const before = keptStats.changes;
    // Results whose statuses are read only some steps later, with what they must be.
    const late: { step: number; result: ReturnType<typeof translate>; statuses: string }[] = [];
    for (let step = 0; step < 200; step++) {
      s = routeEdit(r, s, step);
      let input = s;
      // Now and then a snapshot a provider should not emit: an object twice, or two routes with one name.
      const odd = r();
      if (odd < 0.02 && s.httpRoutes.length > 0) input = { ...s, httpRoutes: [...s.httpRoutes, s.httpRoutes[0]!] };
      else if (odd < 0.04 && s.httpRoutes.length > 0) input = { ...s, httpRoutes: [...s.httpRoutes, structuredClone(s.httpRoutes[0]!)] };
      else if (odd < 0.08 && s.httpRoutes.length > 0) {
        // The same name with the namespace left out (read as `default`), or empty.
        const copy = structuredClone(s.httpRoutes[Math.floor(r() * s.httpRoutes.length)]!);
        if (odd < 0.06) delete (copy.metadata as { namespace?: string }).namespace;
        else copy.metadata.namespace = '';
        input = { ...s, httpRoutes: [copy, ...s.httpRoutes] };
      }
      const result = translate(input, OPTIONS);
      const fresh = scratch(input);
      const freshStatuses = JSON.stringify(fresh.statuses);
      if (r() < 0.3) {
        late.push({ step, result, statuses: freshStatuses });
        assert.equal(JSON.stringify(result.ir), JSON.stringify(fresh.ir), `seed ${seed}, step ${step}: IR differs from a fresh translation`);
      } else {
        assert.equal(render(result), render(fresh), `seed ${seed}, step ${step}: incremental translation differs from a fresh one`);
      }
      if (late.length > 0 && r() < 0.3) {
        const l = late.shift()!;
        assert.equal(JSON.stringify(l.result.statuses), l.statuses, `seed ${seed}, step ${l.step}: statuses read at step ${step} differ`);
      }
    }
    for (const l of late) assert.equal(JSON.stringify(l.result.statuses), l.statuses, `seed ${seed}, step ${l.step}: statuses read at the end differ`);
    // Most steps must have been updates of the kept translation, or this test checks nothing.
    assert.ok(keptStats.changes - before > 100, `only ${keptStats.changes - before} of 200 steps updated the kept translation`);
  });
}

test('an unchanged route keeps its IR objects and status objects across a change of another route', () => {
  const r = prng(99);
  let s = routeBase(r);
  for (let i = 0; i < 20; i++) s = routeEdit(r, s, 100 + i);
  const first = translate(s, OPTIONS);
  const firstStatuses = first.statuses;
  // One more HTTPRoute on a hostname nobody else uses.
  const extra = structuredClone(s.httpRoutes[0] ?? s.grpcRoutes[0]!) as unknown as Snapshot['httpRoutes'][number];
  const added: Snapshot['httpRoutes'][number] = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'lonely', namespace: 'default', creationTimestamp: '2026-01-01T00:00:09Z' },
    spec: { parentRefs: [{ name: 'gw1', namespace: 'default', sectionName: 'http' }], hostnames: ['lonely.example.org'], rules: [{ backendRefs: [{ name: 's0', port: 80 }] }] },
  };
  void extra;
  const second = translate({ ...s, httpRoutes: [...s.httpRoutes, added] }, OPTIONS);
  assert.notEqual(second.ir, first.ir);
  const port80 = (ir: typeof first.ir) => ir.ports.find((p) => p.port === 80)!;
  const hosts = (ir: typeof first.ir) => port80(ir).listeners.flatMap((l) => l.virtualHosts ?? []);
  const before = new Map(hosts(first.ir).map((v) => [v.hostname, v]));
  const after = hosts(second.ir);
  assert.ok(after.some((v) => v.hostname === 'lonely.example.org'));
  for (const vh of after) {
    // A hostname the new route does not reach is the same object (wildcards and `*` cover it, so they change).
    if (vh.hostname.endsWith('.example.org') || vh.hostname === '*') continue;
    if (before.has(vh.hostname)) assert.equal(vh, before.get(vh.hostname), `virtual host ${vh.hostname} was rebuilt`);
  }
  // Ports the change does not touch are the same objects.
  for (const p of second.ir.ports) if (p.port !== 80) assert.equal(p, first.ir.ports.find((x) => x.name === p.name));
  // Route statuses of routes other than the new one are the same objects.
  const old = new Map(firstStatuses.map((st) => [`${st.kind}/${st.metadata.namespace}/${st.metadata.name}`, st]));
  for (const st of second.statuses) {
    if (st.kind === 'Gateway' || st.metadata.name === 'lonely') continue;
    assert.equal(st, old.get(`${st.kind}/${st.metadata.namespace}/${st.metadata.name}`), `status of ${st.kind} ${st.metadata.name} was rebuilt`);
  }
});

test('an EndpointSlice change keeps the translation, also after a Gateway change rebuilt it from remembered routes', () => {
  const r = prng(7);
  let s = routeBase(r);
  for (let i = 0; i < 10; i++) s = routeEdit(r, s, 200 + i);
  translate(s, OPTIONS);
  // A Gateway replaced by an equal copy: a new state, its routes taken from the per-route memo.
  s = { ...s, gateways: s.gateways.map((g) => structuredClone(g)) };
  translate(s, OPTIONS);
  const before = keptStats.endpoints;
  const slices = s.endpointSlices.map((e) => ({ ...e, endpoints: [{ addresses: ['10.9.9.9'] }] }));
  s = { ...s, endpointSlices: slices as typeof s.endpointSlices };
  const result = translate(s, OPTIONS);
  assert.equal(keptStats.endpoints, before + 1, 'the EndpointSlice change took the full path');
  assert.equal(render(result), render(scratch(s)));
});

for (const seed of [21, 22]) {
  test(`a caller reusing its route list array (changed in place between calls) gets exact translations (seed ${seed})`, () => {
    // route-state.ts and sanitize.ts keep copies of the lists they saw, and share one where they
    // can: an array whose contents change in place must never be mistaken for the one kept.
    const r = prng(seed);
    let s = routeBase(r);
    const routes = [...s.httpRoutes];
    const changesBefore = keptStats.changes;
    for (let step = 0; step < 120; step++) {
      s = routeEdit(r, s, step);
      routes.length = 0;
      routes.push(...s.httpRoutes);
      // Now and then an entry without a usable identity, which sanitize.ts filters out (the list
      // translated is then a filtered copy, not the one sanitize.ts last kept).
      if (r() < 0.15) routes.splice(Math.floor(r() * (routes.length + 1)), 0, { metadata: { name: 42 } } as never);
      const input = { ...s, httpRoutes: routes };
      assert.equal(render(translate(input, OPTIONS)), render(scratch({ ...s, httpRoutes: [...routes] })), `seed ${seed}, step ${step}: differs from a fresh translation`);
      // Translated again after an in-place swap of two entries and back (same contents, then changed).
      if (routes.length > 1 && r() < 0.2) {
        [routes[0], routes[1]] = [routes[1]!, routes[0]!];
        assert.equal(render(translate(input, OPTIONS)), render(scratch({ ...s, httpRoutes: [...routes] })), `seed ${seed}, step ${step}: swapped in place`);
        [routes[0], routes[1]] = [routes[1]!, routes[0]!];
      }
    }
    // A kept list that is not what was translated still gives exact results (the change is refused
    // and everything is built again), only slowly: most steps must have updated the kept state.
    const kept = keptStats.changes - changesBefore;
    assert.ok(kept > 60, `only ${kept} of 120+ translations updated the kept state`);
  });
}
