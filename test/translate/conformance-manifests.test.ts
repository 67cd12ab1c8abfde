// The conformance suite's own manifests (from the Go module cache, when present) go through
// translate() without throwing, and the base Gateways the suite waits on come out Accepted and
// Programmed with every listener ready — the state the suite's readiness checks demand.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { emptySnapshot, SNAPSHOT_FIELD, type Snapshot } from '../../src/resources/snapshot.ts';
import type { Secret } from '../../src/resources/types.ts';
import { translate } from '../../src/translate/index.ts';

const ROOT = '/root/go/pkg/mod/sigs.k8s.io/gateway-api/conformance@v1.6.3';
const CONTROLLER = 'wicket.dev/gateway-controller';
const skip = existsSync(ROOT) ? false : 'conformance module not in the Go module cache';

function load(texts: string[]): Snapshot {
  const snap = emptySnapshot();
  snap.gatewayClasses.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'wicket' }, spec: { controllerName: CONTROLLER } });
  for (const text of texts) {
    for (const doc of parseAllDocuments(text.replaceAll('{GATEWAY_CLASS_NAME}', 'wicket'))) {
      const obj = doc.toJS() as { kind?: string; spec?: { controllerName?: string } } | null;
      const field = obj?.kind ? SNAPSHOT_FIELD[obj.kind as keyof typeof SNAPSHOT_FIELD] : undefined;
      if (!obj || !field) continue; // Deployments, Pods … are not ours to read
      if (obj.kind === 'GatewayClass' && obj.spec) obj.spec.controllerName = CONTROLLER;
      (snap[field] as unknown[]).push(obj);
    }
  }
  return snap;
}

/** The suite creates this Secret itself at setup; a self-signed stand-in from our testdata. */
function suiteCertificate(): Secret {
  const text = readFileSync(join(import.meta.dirname, '../../testdata/translate/listener-https-certificate/in.yaml'), 'utf8');
  const secret = parseAllDocuments(text).map((d) => d.toJS()).find((o) => o?.kind === 'Secret') as Secret;
  return { ...secret, metadata: { name: 'tls-validity-checks-certificate', namespace: 'gateway-conformance-infra' } };
}

test('every conformance manifest translates without throwing', { skip }, () => {
  const base = readFileSync(join(ROOT, 'base/manifests.yaml'), 'utf8');
  const files = readdirSync(join(ROOT, 'tests')).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length > 50);
  for (const f of files) {
    const snap = load([base, readFileSync(join(ROOT, 'tests', f), 'utf8')]);
    const r = translate(snap, { controllerName: CONTROLLER, defaultAddress: '127.0.0.1' });
    assert.ok(r.statuses.length > 0, f);
  }
});

test('the base Gateways are Accepted and Programmed with every listener ready', { skip }, () => {
  const snap = load([readFileSync(join(ROOT, 'base/manifests.yaml'), 'utf8')]);
  snap.secrets.push(suiteCertificate());
  const { statuses } = translate(snap, { controllerName: CONTROLLER, defaultAddress: '127.0.0.1' });
  const gateways = statuses.filter((s) => s.kind === 'Gateway');
  assert.ok(gateways.length >= 4);
  for (const gw of gateways) {
    const conds = gw.status.conditions as { type: string; status: string }[];
    for (const type of ['Accepted', 'Programmed']) assert.equal(conds.find((c) => c.type === type)?.status, 'True', `${gw.metadata.name} ${type}`);
    for (const l of gw.status.listeners as { name: string; conditions: { type: string; status: string }[] }[]) {
      for (const type of ['Accepted', 'Programmed', 'ResolvedRefs']) {
        assert.equal(l.conditions.find((c) => c.type === type)?.status, 'True', `${gw.metadata.name}/${l.name} ${type}`);
      }
    }
  }
});
