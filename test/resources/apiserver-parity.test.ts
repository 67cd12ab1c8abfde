// Differential test against a real kube-apiserver with the Gateway API CRDs installed (binaries
// from the conformance harness: see test/kubernetes/control-plane.ts; skipped when they are not
// built). Every document is sent as a server-side dry-run create with strict field validation,
// and the API server's verdict (accepted or rejected) must be ours too:
// - every document of our invalid-manifest catalogue (testdata/validate);
// - a few hundred mutants of the Gateway API examples and conformance manifests — a field
//   removed, a value swapped for an odd one, a list item repeated — made by a seeded generator,
//   so a run is reproducible and a disagreement names the mutation that shows it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, isKnownKind } from '../../src/resources/kinds.ts';
import { admitDocuments, collectManifestFiles } from '../../src/resources/load.ts';
import { parseManifests, type ParsedDocument } from '../../src/resources/parse.ts';
import type { Kind } from '../../src/resources/types.ts';
import { maybeBuild, missingPrerequisite, startControlPlane, type ControlPlane } from '../kubernetes/control-plane.ts';
import { conformanceModule, gatewayApiModule, substituteSuitePlaceholders } from './gateway-api-module.ts';
import { prng } from '../helpers/prng.ts';

maybeBuild();
const missing = missingPrerequisite();
if (missing) console.log(`# API server parity tests skipped: ${missing}`);

const PLURAL: Record<Kind, string> = {
  GatewayClass: 'gatewayclasses',
  Gateway: 'gateways',
  ListenerSet: 'listenersets',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
  TLSRoute: 'tlsroutes',
  TCPRoute: 'tcproutes',
  UDPRoute: 'udproutes',
  ReferenceGrant: 'referencegrants',
  BackendTLSPolicy: 'backendtlspolicies',
  Namespace: 'namespaces',
  Service: 'services',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  EndpointSlice: 'endpointslices',
};

let cp: ControlPlane;
const namespaces = new Set(['default']);

/** Does the API server accept this object on create? (dry run: nothing is stored) */
async function apiVerdict(object: Record<string, any>): Promise<{ ok: boolean; message: string }> {
  const kind = object['kind'] as Kind;
  const apiVersion = object['apiVersion'] as string;
  const ns = KINDS[kind].namespaced ? (typeof object['metadata']?.namespace === 'string' && object['metadata'].namespace !== '' ? object['metadata'].namespace : 'default') : undefined;
  if (ns !== undefined && !namespaces.has(ns) && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) && ns.length <= 63) {
    const res = await cp.client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    if (res.status !== 201 && res.status !== 409) throw new Error(`namespace ${ns}: HTTP ${res.status}`);
    namespaces.add(ns);
  }
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const path = `${prefix}${ns !== undefined ? `/namespaces/${ns}` : ''}/${PLURAL[kind]}`;
  const res = await cp.client.request('POST', path, { body: object, query: { dryRun: 'All', fieldValidation: 'Strict' } });
  if (res.status >= 500) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  // 409 AlreadyExists: it passed validation, and a namespace this test made is in the way.
  return { ok: res.status < 300 || res.status === 409, message: String((res.body as { message?: string } | undefined)?.message ?? res.status) };
}

function ourVerdict(doc: ParsedDocument): { ok: boolean; message: string } {
  const { objects, diagnostics } = admitDocuments([doc]);
  return { ok: objects.length === 1, message: diagnostics.map((d) => `${d.field ?? ''}: ${d.message}`).join('; ') };
}

function documentsOf(file: string, text = readFileSync(file, 'utf8')): ParsedDocument[] {
  return parseManifests(substituteSuitePlaceholders(text), file).documents.filter((d) => isKnownKind(d.object['kind']) && KINDS[d.object['kind'] as Kind].apiVersions.includes(d.object['apiVersion'] as string));
}

/** Disagreements, and how many documents the API server accepted and rejected. */
async function compareVerdicts(docs: { label: string; doc: ParsedDocument }[]): Promise<{ disagreements: string[]; accepted: number; rejected: number }> {
  const disagreements: string[] = [];
  let accepted = 0;
  for (const { label, doc } of docs) {
    const ours = ourVerdict(doc);
    const api = await apiVerdict(doc.object);
    if (api.ok) accepted++;
    if (ours.ok !== api.ok) {
      disagreements.push(`${label}: API server ${api.ok ? 'accepts' : `rejects (${api.message})`}; Wicket ${ours.ok ? 'accepts' : `rejects (${ours.message})`}`);
    }
  }
  return { disagreements, accepted, rejected: docs.length - accepted };
}

// ---- a small seeded mutator -----------------------------------------------------------------

const ODD_STRINGS = [
  ...['', 'UPPER.example.com', 'a b', '/x', 'x', '*', '*.example.com', '10.0.0.1', 'foo/bar', 'x'.repeat(254), '-a', 'a..b', '/a//b', '/a/..'],
  ...['1h', '0s', '10s', '1ms', '1.5s', 'example.com/custom', 'GET', 'FETCH'],
  // Values of other enums, so that rules between fields get exercised.
  ...['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP', 'Terminate', 'Passthrough', 'Exact', 'PathPrefix', 'RegularExpression'],
  ...['RequestRedirect', 'URLRewrite', 'RequestHeaderModifier', 'RequestMirror', 'CORS', 'ExternalAuth', 'ReplacePrefixMatch', 'ReplaceFullPath'],
  ...['Cookie', 'Header', 'Permanent', 'Service', 'Gateway', 'Hostname', 'IPAddress', 'URI', 'System', 'All', 'Same', 'Selector', 'None'],
];
const ODD_KEYS = ['a b', 'example.com/x', 'a/b/c', 'x'.repeat(64), `${'x'.repeat(250)}.io/a`, '-a', '.dot', 'ok_key', 'UPPER', 'a.b', 'kubernetes.io/', '/x', 'tls.crt'];
const ODD_NUMBERS = [0, -1, 1, 65535, 65536, 100, 101, 1000000, 1000001, 399, 600, 2 ** 31];

interface Slot {
  parent: any;
  key: string | number;
  path: string;
}

function slots(value: any, path: string, out: Slot[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i, path: `${path}[${i}]` });
      slots(v, `${path}[${i}]`, out);
    });
  } else if (value && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      out.push({ parent: value, key: k, path: path ? `${path}.${k}` : k });
      slots(value[k], path ? `${path}.${k}` : k, out);
    }
  }
}

/** The value at a slot path (`spec.rules[0].filters`) of `object`, or undefined. */
function at(object: any, path: string): any {
  let v = object;
  for (const part of path.split(/\.|(?=\[)/)) {
    if (v === undefined || v === null) return undefined;
    const index = /^\[(\d+)\]$/.exec(part);
    v = index ? v[Number(index[1])] : v[part];
  }
  return v;
}

/**
 * One mutation of `object` (a deep copy), described; undefined when none applies. `donors` are
 * objects of the same kind whose fields a crossover may copy in.
 */
function mutate(object: Record<string, any>, rand: () => number, donors: Record<string, any>[] = []): { object: Record<string, any>; what: string } | undefined {
  const copy = structuredClone(object);
  const all: Slot[] = [];
  for (const key of Object.keys(copy)) if (key !== 'apiVersion' && key !== 'kind' && key !== 'status') slots(copy[key], key, all);
  if (all.length === 0) return undefined;
  const slot = all[Math.floor(rand() * all.length)]!;
  const current = slot.parent[slot.key];
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  let what: string;
  if (r < 0.15 && donors.length > 0) {
    // Crossover: fields of the same place in another object of the kind join this one's.
    const donor = pick(donors);
    const donorSlots: Slot[] = [];
    for (const key of Object.keys(donor)) if (key !== 'apiVersion' && key !== 'kind' && key !== 'status') slots(donor[key], key, donorSlots);
    const objects = donorSlots.filter((d) => {
      const v = d.parent[d.key];
      const mine = at(copy, d.path);
      return v && typeof v === 'object' && !Array.isArray(v) && mine && typeof mine === 'object' && !Array.isArray(mine);
    });
    if (objects.length === 0) return undefined;
    const from = pick(objects);
    Object.assign(at(copy, from.path), structuredClone(from.parent[from.key]));
    return { object: copy, what: `merge ${from.path} of another ${String(object['kind'])}` };
  }
  if (r < 0.22 && !Array.isArray(slot.parent)) {
    // Rename a key: map keys (labels, data, options) have rules of their own.
    const key = pick(ODD_KEYS);
    delete slot.parent[slot.key];
    slot.parent[key] = current;
    return { object: copy, what: `rename ${slot.path} to ${JSON.stringify(key).slice(0, 20)}` };
  }
  if (r < 0.3) {
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key];
    what = `remove ${slot.path}`;
  } else if (r < 0.42 && Array.isArray(current) && current.length > 0) {
    current.push(structuredClone(current[0]));
    what = `repeat ${slot.path}[0]`;
  } else if (r < 0.5 && Array.isArray(current)) {
    slot.parent[slot.key] = [];
    what = `empty ${slot.path}`;
  } else if (typeof current === 'number' || (r < 0.6 && typeof current !== 'string')) {
    const v = pick(ODD_NUMBERS);
    slot.parent[slot.key] = v;
    what = `${slot.path} = ${v}`;
  } else {
    const v = pick(ODD_STRINGS);
    slot.parent[slot.key] = v;
    what = `${slot.path} = ${JSON.stringify(v).slice(0, 20)}`;
  }
  return { object: copy, what };
}

describe('validation agrees with a real API server', { skip: missing !== undefined }, () => {
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    await cp?.stop();
  });

  test('every document of the invalid-manifest catalogue gets the same verdict', async () => {
    const root = join(import.meta.dirname, '..', '..', 'testdata', 'validate');
    const docs = readdirSync(root)
      .sort()
      .flatMap((name) => documentsOf(join(root, name, 'in.yaml')).map((doc, i) => ({ label: `${name} #${i}`, doc })));
    assert.ok(docs.length > 50);
    const r = await compareVerdicts(docs);
    assert.deepEqual(r.disagreements, []);
    // The catalogue is mostly invalid objects, with some valid ones beside them.
    assert.ok(r.rejected > 40 && r.accepted > 5, `accepted ${r.accepted}, rejected ${r.rejected}`);
  });

  test('mutants of the upstream manifests get the same verdict', async () => {
    // Seeds: the upstream manifests, and our catalogue (its core kinds: Secrets, EndpointSlices, …).
    const { files } = await collectManifestFiles([
      join(gatewayApiModule(), 'examples'),
      join(conformanceModule(), 'tests'),
      join(conformanceModule(), 'base'),
      join(import.meta.dirname, '..', '..', 'testdata', 'validate'),
    ]);
    // Every kind, metadata included; a Service's cluster IPs are left to the API server to pick.
    const seeds = files.flatMap((f) => documentsOf(f)).map((d) => {
      if (d.object['kind'] !== 'Service') return d;
      const object = structuredClone(d.object) as Record<string, any>;
      delete object['spec']?.clusterIP;
      delete object['spec']?.clusterIPs;
      return { ...d, object };
    });
    const byKind = new Map<string, Record<string, any>[]>();
    for (const d of seeds) byKind.set(String(d.object['kind']), [...(byKind.get(String(d.object['kind'])) ?? []), d.object]);
    const rand = prng(Number(process.env['WICKET_MUTATION_SEED'] ?? 2257));
    const count = Number(process.env['WICKET_MUTANTS'] ?? 400);
    const docs: { label: string; doc: ParsedDocument }[] = [];
    for (let i = 0; i < count * 2 && docs.length < count; i++) {
      const seed = seeds[Math.floor(rand() * seeds.length)]!;
      // One to three mutations on top of each other.
      let object = seed.object;
      const what: string[] = [];
      for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
        const m = mutate(object, rand, byKind.get(String(seed.object['kind'])) ?? []);
        if (!m) break;
        object = m.object;
        what.push(m.what);
      }
      if (what.length === 0) continue;
      const label = `${seed.file.split('/').slice(-2).join('/')}:${seed.line} ${what.join(', ')}`;
      docs.push({ label, doc: { ...seed, object } });
    }
    const r = await compareVerdicts(docs);
    assert.deepEqual(r.disagreements, []);
    // A comparison is only worth something if both verdicts occur often.
    assert.ok(r.accepted > count / 10 && r.rejected > count / 10, `accepted ${r.accepted}, rejected ${r.rejected}`);
    console.log(`# ${count} mutants: ${r.accepted} accepted, ${r.rejected} rejected by both`);
  });
});
