// GRPCRoute end to end: the real `wicket run -f DIR` process, a GRPCRoute manifest, and a gRPC
// client and backend on node:http2 — the translator's method and header matches, h2c to the
// backend, and UNIMPLEMENTED for what no rule matches (the conformance GRPCRoute tests' cases).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, gatewayYaml, serviceYaml, tempDir, WicketProcess } from '../../e2e/harness.ts';
import { closeSession, grpcFrame, grpcHeaders, grpcMessages, h2c, h2request, startGrpcBackend } from './h2-helpers.ts';

const grpcRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: echo
  namespace: default
spec:
  parentRefs:
  - name: gw
  hostnames: ["grpc.example.com"]
  rules:
  - matches:
    - method: { service: test.Echo, method: Say }
    - method: { service: test.Echo, method: Fail }
      headers:
      - { name: x-allow, value: "yes" }
    backendRefs:
    - { name: grpc, port: 80 }
`;

test('a GRPCRoute served by the real process: method and header matches, UNIMPLEMENTED otherwise', async (t) => {
  const dir = await tempDir(t);
  const backend = await startGrpcBackend();
  t.after(() => backend.close());
  const port = await freePort();
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml({ listeners: [{ name: 'http', port }] }));
  await writeFile(join(dir, 'backend.yaml'), serviceYaml({ name: 'grpc', port: backend.port }));
  await writeFile(join(dir, 'route.yaml'), grpcRoute);
  await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1']);

  const session = h2c(port);
  t.after(() => closeSession(session));

  const ok = await h2request(session, grpcHeaders('/test.Echo/Say'), grpcFrame('hi'));
  assert.equal(ok.headers[':status'], 200);
  assert.deepEqual(grpcMessages(ok.body).map(String), ['HI'], JSON.stringify(ok.headers));
  assert.equal(ok.trailers?.['grpc-status'], '0');
  assert.equal(backend.seen.at(-1)!.headers['te'], 'trailers');

  // Fail needs the header: without it no rule matches.
  const noHeader = await h2request(session, grpcHeaders('/test.Echo/Fail'), grpcFrame('x'));
  assert.equal(noHeader.headers['grpc-status'], '12');
  const withHeader = await h2request(session, grpcHeaders('/test.Echo/Fail', 'grpc.example.com', { 'x-allow': 'yes' }), grpcFrame('x'));
  assert.equal(withHeader.headers['grpc-status'], '5', 'the backend answered');

  const otherMethod = await h2request(session, grpcHeaders('/test.Echo/Other'), grpcFrame('x'));
  assert.equal(otherMethod.headers['grpc-status'], '12');
  const otherHost = await h2request(session, grpcHeaders('/test.Echo/Say', 'elsewhere.example.com'), grpcFrame('x'));
  assert.equal(otherHost.headers['grpc-status'], '12');
});
