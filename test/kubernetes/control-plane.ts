// A throwaway etcd + kube-apiserver for the kubernetes provider's tests, from the binaries the
// conformance harness builds into conformance/.work/bin (bash conformance/lib/build.sh). Everything
// binds 127.0.0.1 on ports the OS hands out, with its own certificates and data in a temp dir, so
// it can run beside the conformance harness's own control plane.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '../../src/providers/kubernetes/kube-client.ts';
import { freePort } from '../helpers/free-port.ts';

const REPO = resolve(import.meta.dirname, '../..');
export const BIN_DIR = join(REPO, 'conformance/.work/bin');

/** Why the control plane cannot run here, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  for (const b of ['etcd', 'kube-apiserver']) {
    if (!existsSync(join(BIN_DIR, b))) {
      return `${join(BIN_DIR, b)} is missing: build the control plane with "bash conformance/lib/build.sh" (the conformance harness's build script) or set WICKET_K8S_TEST_BUILD=1 to let this test build it`;
    }
  }
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return 'openssl is not installed (needed to make the test control plane certificates)';
  }
  if (!crdDir()) return 'the Gateway API CRDs were not found in the Go module cache (sigs.k8s.io/gateway-api)';
  return undefined;
}

/** Builds the control plane binaries through the harness's script when asked to (slow: minutes). */
export function maybeBuild(): void {
  if (process.env.WICKET_K8S_TEST_BUILD !== '1' || !missingPrerequisite()?.includes('is missing')) return;
  execFileSync('bash', ['-c', 'source conformance/lib/build.sh && build_set controlplane "$TOOLS/controlplane"'], { cwd: REPO, stdio: 'inherit' });
}

export function crdDir(): string | undefined {
  const versions = readFileSync(join(REPO, 'conformance/tools/versions.env'), 'utf8');
  const v = /GATEWAY_API_VERSION=(\S+)/.exec(versions)?.[1] ?? 'v1.6.3';
  const roots = [process.env.GOMODCACHE, process.env.GOPATH && join(process.env.GOPATH, 'pkg/mod'), '/root/go/pkg/mod'];
  try {
    roots.unshift(execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim());
  } catch {
    // No go on PATH: try the usual places.
  }
  for (const r of roots) {
    const d = r && join(r, `sigs.k8s.io/gateway-api@${v}/config/crd/experimental`);
    if (d && existsSync(d)) return d;
  }
  return undefined;
}

export { freePort };

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function signCert(dir: string, name: string, subj: string, ext: string): void {
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subj, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

function makePki(dir: string): void {
  openssl(dir, ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=wicket-test-ca', '-days', '2', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', 'ca.crt']);
  signCert(dir, 'apiserver', '/CN=kube-apiserver', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  signCert(dir, 'admin', '/O=system:masters/CN=wicket-test-admin', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function kubeconfigText(server: string, ca: string, cert: string, key: string): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  return [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: test', '  cluster:', `    server: ${server}`, `    certificate-authority-data: ${b64(ca)}`,
    'users:', '- name: user', '  user:', `    client-certificate-data: ${b64(cert)}`, `    client-key-data: ${b64(key)}`,
    'contexts:', '- name: test', '  context:', '    cluster: test', '    user: user',
    'current-context: test', '',
  ].join('\n');
}

function waitExit(p: ChildProcess, graceMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => {
      clearTimeout(t);
      res();
    });
    p.kill('SIGTERM');
  });
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A TCP forwarder whose connections can be cut and refused, to simulate an API server outage. */
export class CuttableProxy {
  port = 0;
  #server: Server;
  #sockets = new Set<Socket>();
  #open = true;
  readonly #target: number;

  constructor(target: number) {
    this.#target = target;
    this.#server = createServer((client) => {
      if (!this.#open) return client.destroy();
      const upstream = connect(this.#target, '127.0.0.1');
      this.#sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
  }

  listen(): Promise<void> {
    return new Promise((res) => this.#server.listen(0, '127.0.0.1', () => {
      this.port = (this.#server.address() as { port: number }).port;
      res();
    }));
  }

  /** Drops every connection and refuses new ones until resume(). */
  cut(): void {
    this.#open = false;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  resume(): void {
    this.#open = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((res) => this.#server.close(() => res()));
  }
}

export interface ControlPlane {
  dir: string;
  server: string;
  apiserverPort: number;
  kubeconfig: string;
  client: KubeClient;
  /** Writes a kubeconfig for `server` (default: the API server) as the admin or as another user. */
  writeKubeconfig(name: string, opts?: { server?: string; user?: { cn: string; groups?: string[] } }): string;
  restartApiserver(): Promise<void>;
  /** Compacts etcd's history up to now, so watches from older resourceVersions get 410 Gone. */
  compactEtcd(): Promise<void>;
  installCRDs(filter: (file: string) => boolean): Promise<void>;
  stop(): Promise<void>;
}

export async function startControlPlane(opts: { crds?: (file: string) => boolean } = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'wicket-k8s-test-'));
  makePki(dir);
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const procs: ChildProcess[] = [];
  const start = (name: string, args: string[]) => {
    const log = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
    const p = spawn(join(BIN_DIR, name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    procs.push(p);
    return p;
  };
  const etcd = start('etcd', [
    '--name', 'test', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster', `test=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync', '--log-level', 'warn',
  ]);
  let apiserver: ChildProcess;
  const startApiserver = () => {
    apiserver = start('kube-apiserver', [
      '--etcd-servers', etcdUrl, '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1', '--secure-port', String(apiPort),
      '--tls-cert-file', join(dir, 'apiserver.crt'), '--tls-private-key-file', join(dir, 'apiserver.key'), '--client-ca-file', join(dir, 'ca.crt'),
      '--service-account-issuer', 'https://kubernetes.default.svc', '--service-account-key-file', join(dir, 'sa.pub'),
      '--service-account-signing-key-file', join(dir, 'sa.key'), '--service-cluster-ip-range', '198.19.0.0/16',
      '--authorization-mode', 'RBAC', '--endpoint-reconciler-type', 'none', '--disable-admission-plugins', 'ServiceAccount',
      '--enable-priority-and-fairness=false', '--profiling=false',
    ]);
  };
  const server = `https://127.0.0.1:${apiPort}`;
  const writeKubeconfig: ControlPlane['writeKubeconfig'] = (name, o = {}) => {
    let cert = join(dir, 'admin.crt');
    let key = join(dir, 'admin.key');
    if (o.user) {
      const subj = `${(o.user.groups ?? []).map((g) => `/O=${g}`).join('')}/CN=${o.user.cn}`;
      signCert(dir, name, subj, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
      cert = join(dir, `${name}.crt`);
      key = join(dir, `${name}.key`);
    }
    const path = join(dir, `${name}.kubeconfig`);
    writeFileSync(path, kubeconfigText(o.server ?? server, join(dir, 'ca.crt'), cert, key));
    return path;
  };
  const kubeconfig = writeKubeconfig('admin');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const client = new KubeClient(kc);
  const waitReady = () => until('kube-apiserver /readyz', 120_000, async () => ((await client.request('GET', '/readyz')).status === 200 ? true : undefined));

  const installCRDs = async (filter: (file: string) => boolean) => {
    const d = crdDir()!;
    const plurals: string[] = [];
    for (const f of readdirSync(d).filter((f) => f.endsWith('.yaml') && f.startsWith('gateway.networking.k8s.io_') && !f.includes('vap_') && filter(f))) {
      for (const doc of parseAllDocuments(readFileSync(join(d, f), 'utf8'))) {
        const crd = doc.toJS();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        const res = await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
        if (res.status !== 201 && res.status !== 409) throw new Error(`install ${f}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        plurals.push(`/apis/${crd.spec.group}/v1/${crd.spec.names.plural}`);
      }
    }
    for (const p of plurals) await until(`CRD ${p} served`, 60_000, async () => ((await client.request('GET', p)).status === 200 ? true : undefined));
  };

  try {
    await until('etcd health', 30_000, async () => ((await fetch(`${etcdUrl}/health`)).ok ? true : undefined));
    startApiserver();
    await waitReady();
    await installCRDs(opts.crds ?? (() => true));
  } catch (err) {
    for (const p of procs.reverse()) await waitExit(p, 5_000);
    throw new Error(`${(err as Error).message} (logs in ${dir})`);
  }

  return {
    dir,
    server,
    apiserverPort: apiPort,
    kubeconfig,
    client,
    writeKubeconfig,
    installCRDs,
    async restartApiserver() {
      await waitExit(apiserver, 20_000);
      startApiserver();
      await waitReady();
    },
    async compactEtcd() {
      const range = await (await fetch(`${etcdUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }) })).json() as { header: { revision: string } };
      const res = await fetch(`${etcdUrl}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: range.header.revision, physical: true }) });
      if (!res.ok) throw new Error(`etcd compaction: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      await client.close();
      await waitExit(apiserver, 20_000);
      await waitExit(etcd, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { until };
