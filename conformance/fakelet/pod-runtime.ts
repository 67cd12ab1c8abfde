// Everything the fakelet does for one Pod on its Node: wait for referenced Secrets and
// ConfigMaps, give it a network namespace and IP, write its volumes, run its containers,
// probe them, report status, restart crashed containers, and tear it all down.
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { KubeClient, Obj } from './kube-client.ts';
import { buildEnv, expandVars, type PodFacts, type RefSource } from './pod-env.ts';
import { planVolumes, containerMounts, rewritePath } from './pod-volumes.ts';
import { programFor, type Programs, type Program } from './images.ts';
import { podStatus, type ContainerState } from './pod-status.ts';
import { createPodNetwork, deletePodNetwork } from './netns.ts';
import { startProcess, stopProcess } from './process.ts';
import { tcpAccepts, udpBound } from './probe.ts';
import type { IpPool } from './ip-pool.ts';

export interface RuntimeEnv {
  kube: KubeClient;
  pool: IpPool;
  programs: Programs;
  nodeName: string;
  nodeIP: string;
  prefixLen: number;
  bridge: string;
  stateDir: string;
  log: (msg: string) => void;
}

interface Running { spec: Obj; program?: Program; child?: ChildProcess; state: ContainerState }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PodRuntime {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly dir: string;
  private pod: Obj;
  private env: RuntimeEnv;
  private ip?: string;
  private netns?: string;
  private containers = new Map<string, Running>();
  private stopping = false;
  private startTime = new Date().toISOString();
  private statusChain: Promise<void> = Promise.resolve();
  private lastStatus?: string;

  constructor(pod: Obj, env: RuntimeEnv) {
    this.pod = pod;
    this.env = env;
    this.uid = pod.metadata.uid;
    this.namespace = pod.metadata.namespace;
    this.name = pod.metadata.name;
    this.dir = join(env.stateDir, 'pods', `${this.namespace}_${this.name}_${this.uid}`);
    for (const c of pod.spec.containers) {
      this.containers.set(c.name, { spec: c, state: { name: c.name, image: c.image, ready: false, restartCount: 0 } });
    }
  }

  logFile(container: string): string | undefined {
    return this.containers.has(container) ? join(this.dir, 'logs', `${container}.log`) : undefined;
  }

  update(pod: Obj): void { this.pod = pod; }

  /** Runs until the Pod is stopped; errors are reported in the container statuses. */
  async start(): Promise<void> {
    try {
      await this.prepareAndRun();
    } catch (e) {
      this.env.log(`pod ${this.namespace}/${this.name}: ${(e as Error).message}`);
      for (const c of this.containers.values()) c.state.waiting = { reason: 'CreateContainerError', message: String((e as Error).message) };
      this.reportStatus();
    }
  }

  private async prepareAndRun(): Promise<void> {
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    mkdirSync(join(this.dir, 'run'), { recursive: true });
    this.ip = this.env.pool.allocate();
    const facts: PodFacts = { podIP: this.ip, hostIP: this.env.nodeIP, nodeName: this.env.nodeName };

    // Like the kubelet, wait for referenced Secrets and ConfigMaps: the suite creates
    // several of them only after the Deployments that mount them.
    let refs = await this.fetchRefs();
    let plan = planVolumes(this.pod, facts, refs);
    let envs = this.pod.spec.containers.map((c: Obj) => buildEnv(this.pod, c, facts, refs));
    for (let attempt = 0; ; attempt++) {
      const missing = [...plan.missing, ...envs.flatMap((e: { missing: string[] }) => e.missing)];
      if (missing.length === 0) break;
      if (this.stopping) return;
      if (attempt % 10 === 0) {
        for (const c of this.containers.values()) c.state.waiting = { reason: 'CreateContainerConfigError', message: `waiting for ${missing.join(', ')}` };
        this.reportStatus();
      }
      await sleep(1000);
      refs = await this.fetchRefs();
      plan = planVolumes(this.pod, facts, refs);
      envs = this.pod.spec.containers.map((c: Obj) => buildEnv(this.pod, c, facts, refs));
    }

    const volDir = (v: string) => join(this.dir, 'volumes', v);
    for (const v of plan.volumes) mkdirSync(volDir(v), { recursive: true });
    for (const f of plan.files) {
      const p = join(volDir(f.volume), f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content, { mode: f.mode });
    }

    if (this.stopping) return;
    this.netns = await createPodNetwork(this.uid, this.ip, this.env.prefixLen, this.env.bridge);
    this.env.log(`pod ${this.namespace}/${this.name}: ip ${this.ip} netns ${this.netns}`);

    this.pod.spec.containers.forEach((spec: Obj, i: number) => {
      const run = this.containers.get(spec.name)!;
      const mounts = containerMounts(spec, volDir);
      const env = envs[i].env;
      // Paths in env values and args point into the Pod's filesystem; ours is the host's.
      for (const k of Object.keys(env)) env[k] = rewritePath(env[k], mounts);
      const program = programFor(spec, env, this.env.programs);
      if (!program) {
        run.state.waiting = { reason: 'ErrImageNeverPull', message: `fakelet has no local program for image ${spec.image}` };
        return;
      }
      program.args = program.args.map((a) => rewritePath(expandVars(a, env), mounts));
      run.program = program;
      run.state.waiting = undefined;
      this.supervise(run, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: this.name, ...env });
    });
    this.reportStatus();
  }

  private async fetchRefs(): Promise<RefSource> {
    const secrets = new Map<string, Record<string, string> | undefined>();
    const configMaps = new Map<string, Record<string, string> | undefined>();
    const names = collectRefs(this.pod);
    const ns = this.namespace;
    await Promise.all([
      ...[...names.secrets].map(async (n) => {
        const o = await this.env.kube.getOrNull(`/api/v1/namespaces/${ns}/secrets/${n}`);
        secrets.set(n, o ? Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')])) : undefined);
      }),
      ...[...names.configMaps].map(async (n) => {
        const o = await this.env.kube.getOrNull(`/api/v1/namespaces/${ns}/configmaps/${n}`);
        configMaps.set(n, o ? { ...Object.fromEntries(Object.entries(o.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')])), ...(o.data ?? {}) } : undefined);
      }),
    ]);
    return { secret: (_ns, n) => secrets.get(n), configMap: (_ns, n) => configMaps.get(n) };
  }

  /** Starts a container, marks it Ready when its ports answer, restarts it when it exits. */
  private supervise(run: Running, env: Record<string, string>): void {
    const program = run.program!;
    const child = startProcess({
      netns: this.netns!, command: program.command, args: program.args, env,
      cwd: join(this.dir, 'run'), logFile: this.logFile(run.spec.name)!,
      pidFile: join(this.env.stateDir, 'pids', `${this.uid}-${run.spec.name}.pid`),
    });
    run.child = child;
    run.state.startedAt = new Date().toISOString();
    run.state.containerID = `fakelet://${child.pid}`;
    run.state.ready = false;
    child.on('error', (e) => this.env.log(`pod ${this.namespace}/${this.name} ${run.spec.name}: ${e.message}`));
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      run.state.ready = false;
      run.state.restartCount++;
      run.state.waiting = { reason: 'CrashLoopBackOff', message: `exited with ${code ?? signal}` };
      this.env.log(`pod ${this.namespace}/${this.name} ${run.spec.name}: exited with ${code ?? signal}, restarting`);
      this.reportStatus();
      const backoff = Math.min(10_000, 500 * 2 ** Math.min(run.state.restartCount, 5));
      setTimeout(() => {
        if (this.stopping) return;
        run.state.waiting = undefined;
        this.supervise(run, env);
      }, backoff);
    });
    this.reportStatus();
    void this.probeUntilReady(run, child);
  }

  private async probeUntilReady(run: Running, child: ChildProcess): Promise<void> {
    const alive = () => !this.stopping && run.child === child && child.exitCode === null && child.signalCode === null;
    while (alive()) {
      const checks = await Promise.all(run.program!.probes.map((p) =>
        p.protocol === 'tcp' ? tcpAccepts(this.ip!, p.port) : Promise.resolve(udpBound(child.pid!, p.port))));
      if (checks.every(Boolean)) {
        if (!alive()) return;
        run.state.ready = true;
        this.reportStatus();
        return;
      }
      await sleep(200);
    }
  }

  /** Serialised status writes; an unchanged status is not written again. */
  reportStatus(): void {
    this.statusChain = this.statusChain.then(async () => {
      if (this.stopping) return;
      const status = podStatus({
        podIP: this.netns ? this.ip : undefined,
        hostIP: this.env.nodeIP,
        startTime: this.startTime,
        scheduledAt: this.startTime,
        containers: [...this.containers.values()].map((c) => c.state),
      }, new Date().toISOString(), this.pod.status);
      const key = JSON.stringify({ ...status, conditions: status.conditions.map((c: Obj) => [c.type, c.status]) });
      if (key === this.lastStatus) return;
      try {
        const updated = await this.env.kube.mergePatch(`/api/v1/namespaces/${this.namespace}/pods/${this.name}/status`, { status });
        this.pod = updated;
        this.lastStatus = key;
      } catch (e) {
        this.env.log(`pod ${this.namespace}/${this.name}: status update failed: ${(e as Error).message}`);
      }
    });
  }

  /** Stops the containers (SIGTERM, grace, SIGKILL) and frees the IP, netns and files. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    const graceMs = Math.max(0, Math.min(graceSeconds, 30)) * 1000;
    await Promise.all([...this.containers.values()].map((c) => (c.child ? stopProcess(c.child, graceMs) : undefined)));
    await deletePodNetwork(this.uid);
    if (this.ip) this.env.pool.release(this.ip);
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Names of the Secrets and ConfigMaps a Pod's volumes and env refer to. */
export function collectRefs(pod: Obj): { secrets: Set<string>; configMaps: Set<string> } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const addSource = (s: Obj) => {
    if (s.secret) secrets.add(s.secret.secretName ?? s.secret.name);
    if (s.configMap) configMaps.add(s.configMap.name);
  };
  for (const v of pod.spec?.volumes ?? []) {
    addSource(v);
    for (const s of v.projected?.sources ?? []) addSource(s);
  }
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const f of c.envFrom ?? []) {
      if (f.secretRef) secrets.add(f.secretRef.name);
      if (f.configMapRef) configMaps.add(f.configMapRef.name);
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name);
      if (e.valueFrom?.configMapKeyRef) configMaps.add(e.valueFrom.configMapKeyRef.name);
    }
  }
  return { secrets, configMaps };
}
