// One contract for interchangeable providers (STYLE.md #9): whatever the source of objects — files
// on disk, a Kubernetes API server — a provider emits a first snapshot with what exists, follows
// creations, spec changes (generation grows, creationTimestamp stays) and deletions, accepts
// status, and stops emitting once stopped. A provider's test file calls `providerContract` with a
// harness that creates and deletes objects in its own way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Provider, SnapshotUpdate } from '../../src/providers/api.ts';
import type { HTTPRoute } from '../../src/resources/types.ts';

export interface ProviderHarness {
  provider: Provider;
  /** Create or replace an object. */
  apply(obj: HTTPRoute): Promise<void>;
  delete(kind: 'HTTPRoute', namespace: string, name: string): Promise<void>;
  close(): Promise<void>;
}

export function httpRoute(name: string, path: string): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default' },
    spec: { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }] }] },
  };
}

export function providerContract(name: string, makeHarness: () => Promise<ProviderHarness>): void {
  const setup = async (t: { after(fn: () => unknown): void }) => {
    const h = await makeHarness();
    const updates: SnapshotUpdate[] = [];
    t.after(async () => {
      await h.provider.stop();
      await h.close();
    });
    const route = (n: string) => updates.at(-1)?.snapshot.httpRoutes.find((r) => r.metadata.name === n);
    const waitFor = async (pred: () => boolean, what: string) => {
      for (let i = 0; i < 1500 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(pred(), `${name}: timed out waiting for ${what}`);
    };
    return { h, updates, route, waitFor };
  };

  test(`${name} provider contract: first snapshot, create, spec change, delete`, async (t) => {
    const { h, updates, route, waitFor } = await setup(t);
    await h.apply(httpRoute('first', '/1'));
    await h.provider.start((u) => updates.push(u));
    await waitFor(() => route('first') !== undefined, 'the existing object in a snapshot');
    const created = route('first')!.metadata;
    assert.equal(created.generation, 1);
    assert.ok(created.creationTimestamp);

    await h.apply(httpRoute('second', '/2'));
    await waitFor(() => route('second') !== undefined, 'a created object');

    await h.apply(httpRoute('first', '/changed'));
    await waitFor(() => route('first')?.spec.rules?.[0]?.matches?.[0]?.path?.value === '/changed', 'a spec change');
    assert.equal(route('first')!.metadata.generation, 2, 'generation grows with the spec');
    assert.equal(route('first')!.metadata.creationTimestamp, created.creationTimestamp, 'creationTimestamp stays');

    await h.delete('HTTPRoute', 'default', 'second');
    await waitFor(() => route('second') === undefined, 'a deletion');
    assert.ok(route('first'), 'other objects stay');
    await h.provider.publishStatus([]);
  });

  test(`${name} provider contract: no snapshots after stop`, async (t) => {
    const { h, updates, route, waitFor } = await setup(t);
    await h.apply(httpRoute('a', '/a'));
    await h.provider.start((u) => updates.push(u));
    await waitFor(() => route('a') !== undefined, 'the first snapshot');
    await h.provider.stop();
    const seen = updates.length;
    await h.apply(httpRoute('b', '/b'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(updates.length, seen);
  });
}
