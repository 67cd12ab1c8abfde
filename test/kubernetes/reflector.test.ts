// The reflector's list/watch state machine against a scripted HTTP server speaking the API's
// list and watch formats: resume from the last resourceVersion, relist on 410 Gone keeping the
// cache until the new list is in, and a kind whose CRD is missing counted as an empty, synced list.
// (provider.test.ts covers the same against a real kube-apiserver.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/providers/kubernetes/kube-client.ts';
import { Reflector } from '../../src/providers/kubernetes/reflector.ts';
import { kindInfo } from '../../src/providers/kubernetes/kinds.ts';
import { setLogLevel } from '../../src/log.ts';

setLogLevel('error');

const route = (name: string, rv: string) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

async function scriptedServer(handler: (u: URL, res: ServerResponse) => void) {
  const requests: string[] = [];
  const open = new Set<ServerResponse>();
  const srv = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    requests.push(`${u.pathname.split('/').pop()} ${u.searchParams.get('watch') ? `watch rv=${u.searchParams.get('resourceVersion')}` : 'list'}`);
    open.add(res);
    res.on('close', () => open.delete(res));
    handler(u, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return {
    client: new KubeClient(kc),
    requests,
    close: () => new Promise<void>((r) => {
      for (const res of open) res.destroy();
      srv.close(() => r());
    }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

function waitFor(pred: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + 10_000;
    const tick = () => (pred() ? resolve() : Date.now() > end ? reject(new Error('timed out')) : setTimeout(tick, 10));
    tick();
  });
}

test('lists, resumes watches from the last resourceVersion, relists on 410 keeping the cache meanwhile', async () => {
  let lists = 0;
  let watches = 0;
  const server = await scriptedServer((u, res) => {
    if (u.searchParams.get('watch') !== 'true') {
      lists++;
      return json(res, 200, { metadata: { resourceVersion: lists === 1 ? '10' : '20' }, items: lists === 1 ? [route('a', '5')] : [route('a', '5'), route('c', '20')] });
    }
    watches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (watches === 1) {
      res.write(JSON.stringify({ type: 'ADDED', object: route('b', '11') }) + '\n');
      res.end(); // the server ends the watch: resume from 11
    } else if (watches === 2) {
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) + '\n');
    }
    // Later watches stay open until the test ends.
  });
  const states: string[] = [];
  const r: Reflector = new Reflector(server.client, kindInfo('HTTPRoute')!, { onChange: () => states.push(r.items().map((o) => o.metadata.name).sort().join(',')) });
  r.start();
  try {
    await waitFor(() => watches >= 3);
    assert.deepEqual(server.requests, ['httproutes list', 'httproutes watch rv=10', 'httproutes watch rv=11', 'httproutes list', 'httproutes watch rv=20']);
    // b came from the watch; the relist replaced the cache in one step (b gone, c in) — never empty.
    assert.deepEqual(states, ['a', 'a,b', 'a,c']);
    assert.equal(r.lists, 2);
    assert.equal(r.state, 'synced');
    const a = r.get('a', 'ns');
    assert.equal(a.kind, 'HTTPRoute');
    assert.equal(a.apiVersion, 'gateway.networking.k8s.io/v1');
  } finally {
    await r.stop();
    await server.close();
  }
});

test('a kind not served (404 on every version) is absent: synced and empty, looked for again later', async () => {
  let served = false;
  const server = await scriptedServer((u, res) => {
    if (!served) return json(res, 404, { kind: 'Status', code: 404 });
    if (u.searchParams.get('watch') === 'true') return void res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    json(res, 200, { metadata: { resourceVersion: '3' }, items: [route('ts', '3')] });
  });
  const r = new Reflector(server.client, kindInfo('TCPRoute')!, { onChange: () => {}, absentRetryMs: 20 });
  r.start();
  try {
    await waitFor(() => r.state === 'absent');
    assert.equal(r.synced, true);
    assert.deepEqual(r.items(), []);
    // Every candidate version was tried.
    assert.deepEqual(server.requests.slice(0, 2), ['tcproutes list', 'tcproutes list']);
    served = true;
    await waitFor(() => r.items().length === 1);
    assert.equal(r.state, 'synced');
    assert.equal(r.version, 'v1');
  } finally {
    await r.stop();
    await server.close();
  }
});

test('errors back off and retry without losing the cache', async () => {
  let lists = 0;
  const server = await scriptedServer((u, res) => {
    if (u.searchParams.get('watch') === 'true') return json(res, 500, { kind: 'Status', code: 500 });
    lists++;
    if (lists === 1) return json(res, 200, { metadata: { resourceVersion: '1' }, items: [route('x', '1')] });
    json(res, 503, { kind: 'Status', code: 503 });
  });
  const r = new Reflector(server.client, kindInfo('HTTPRoute')!, { onChange: () => {}, maxBackoffMs: 20 });
  r.start();
  try {
    await waitFor(() => server.requests.filter((q) => q.includes('watch')).length >= 3);
    assert.deepEqual(r.items().map((o) => o.metadata.name), ['x']);
    assert.equal(lists, 1, 'a failing watch is retried from its resourceVersion, not relisted');
  } finally {
    await r.stop();
    await server.close();
  }
});

test('options left undefined take their defaults (an absent kind is not polled in a tight loop)', async () => {
  const server = await scriptedServer((_u, res) => json(res, 404, { kind: 'Status', code: 404 }));
  const r = new Reflector(server.client, kindInfo('TCPRoute')!, { onChange: () => {}, absentRetryMs: undefined, maxBackoffMs: undefined });
  r.start();
  try {
    await waitFor(() => r.state === 'absent');
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(server.requests.length, 2, 'one list per candidate version, then a wait of seconds');
  } finally {
    await r.stop();
    await server.close();
  }
});

test('paged lists follow continue tokens, and start over when a token expires (410)', async () => {
  let listCalls = 0;
  const server = await scriptedServer((u, res) => {
    if (u.searchParams.get('watch') === 'true') return void res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    listCalls++;
    const cont = u.searchParams.get('continue');
    if (!cont) return json(res, 200, { metadata: { continue: listCalls === 1 ? 'expired' : 'page2' }, items: [route('p1', '1')] });
    if (cont === 'expired') return json(res, 410, { kind: 'Status', code: 410, reason: 'Expired' });
    json(res, 200, { metadata: { resourceVersion: '9' }, items: [route('p2', '2')] });
  });
  const r = new Reflector(server.client, kindInfo('HTTPRoute')!, { onChange: () => {} });
  r.start();
  try {
    await waitFor(() => r.synced);
    assert.deepEqual(r.items().map((o) => o.metadata.name).sort(), ['p1', 'p2']);
    assert.equal(listCalls, 4);
    await waitFor(() => server.requests.some((q) => q === 'httproutes watch rv=9'));
  } finally {
    await r.stop();
    await server.close();
  }
});

test('an optional kind we may not read (403) is treated as absent; a core kind keeps retrying', async () => {
  const server = await scriptedServer((_u, res) => json(res, 403, { kind: 'Status', code: 403, reason: 'Forbidden', message: 'listenersets is forbidden' }));
  const optional = new Reflector(server.client, kindInfo('ListenerSet')!, { onChange: () => {}, absentRetryMs: 60_000 });
  const core = new Reflector(server.client, kindInfo('Service')!, { onChange: () => {}, maxBackoffMs: 10 });
  optional.start();
  core.start();
  try {
    await waitFor(() => optional.state === 'absent');
    await waitFor(() => server.requests.filter((q) => q.startsWith('services')).length >= 3);
    assert.equal(core.synced, false, 'no snapshot without Services');
  } finally {
    await optional.stop();
    await core.stop();
    await server.close();
  }
});

test('onReplaced reports each cached object that leaves the cache: replaced, deleted, dropped by a relist; not status-only updates', async () => {
  const obj = (name: string, rv: string, spec: string, status?: string) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, spec: { v: spec }, ...(status ? { status: { s: status } } : {}) });
  let lists = 0;
  let watches = 0;
  const server = await scriptedServer((u, res) => {
    if (u.searchParams.get('watch') !== 'true') {
      lists++;
      // The relist keeps b (same inputs, a newer status) and no longer has c.
      return json(res, 200, lists === 1
        ? { metadata: { resourceVersion: '10' }, items: [obj('a', '1', 'x'), obj('b', '2', 'x'), obj('c', '3', 'x')] }
        : { metadata: { resourceVersion: '20' }, items: [obj('b', '19', 'y', 'newer')] });
    }
    watches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (watches === 1) {
      res.write(JSON.stringify({ type: 'MODIFIED', object: obj('a', '11', 'x', 'ours') }) + '\n'); // status only: kept in place
      res.write(JSON.stringify({ type: 'MODIFIED', object: obj('b', '12', 'y') }) + '\n'); // spec: replaced
      res.write(JSON.stringify({ type: 'DELETED', object: obj('a', '13', 'x') }) + '\n');
      res.write(JSON.stringify({ type: 'DELETED', object: obj('gone', '14', 'x') }) + '\n'); // never cached
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) + '\n');
    }
  });
  const reported: string[] = [];
  const sameInputs = (x: any, y: any) => JSON.stringify(x.spec) === JSON.stringify(y.spec);
  const r = new Reflector(server.client, kindInfo('HTTPRoute')!, { onChange: () => {}, sameInputs, onReplaced: (before) => reported.push(`${before.metadata.name}@${before.metadata.resourceVersion}`) });
  r.start();
  try {
    await waitFor(() => watches >= 2);
    // a@11: the status-only update moved the cached object's version in place (not reported);
    // b@2 replaced by its spec change; a deleted; c dropped by the relist; b@12 kept by it.
    assert.deepEqual(reported, ['b@2', 'a@11', 'c@3']);
    assert.equal(r.get('b', 'ns').metadata.resourceVersion, '19');
    assert.equal(r.get('b', 'ns').status.s, 'newer');
  } finally {
    await r.stop();
    await server.close();
  }
});
