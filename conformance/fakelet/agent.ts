// Watches all Pods: binds unscheduled ones to our Node (there is no scheduler),
// starts the ones bound here, and on deletion stops them and removes the Pod object
// with gracePeriodSeconds=0, which is what a kubelet does once containers are gone.
import { KubeError, type KubeClient, type Obj, type WatchEvent } from './kube-client.ts';
import { PodRuntime, type RuntimeEnv } from './pod-runtime.ts';

export class Agent {
  private pods = new Map<string, PodRuntime>();
  private bound = new Set<string>();
  private terminating = new Set<string>();
  private env: RuntimeEnv;
  private kube: KubeClient;

  constructor(env: RuntimeEnv) {
    this.env = env;
    this.kube = env.kube;
  }

  logFile(namespace: string, pod: string, container: string): string | undefined {
    for (const rt of this.pods.values()) {
      if (rt.namespace === namespace && rt.name === pod) return rt.logFile(container);
    }
    return undefined;
  }

  /** List, then watch from the list's resourceVersion; re-list when the watch expires. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const list = await this.kube.get('/api/v1/pods');
        const seen = new Set<string>();
        for (const p of list.items) { seen.add(p.metadata.uid); this.onPod(p); }
        for (const [uid, rt] of this.pods) if (!seen.has(uid)) void this.forget(uid, rt);
        let rv: string = list.metadata.resourceVersion;
        let expired = false;
        while (!signal.aborted && !expired) {
          await this.kube.watch(`/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, (e: WatchEvent) => {
            if (e.type === 'ERROR') { expired = true; return; }
            rv = e.object.metadata?.resourceVersion ?? rv;
            if (e.type === 'DELETED') {
              const rt = this.pods.get(e.object.metadata.uid);
              if (rt) void this.forget(e.object.metadata.uid, rt);
            } else if (e.type !== 'BOOKMARK') {
              this.onPod(e.object);
            }
          }, signal);
        }
      } catch (e) {
        if (signal.aborted) break;
        this.env.log(`pod watch: ${(e as Error).message}; re-listing`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private onPod(pod: Obj): void {
    const uid: string = pod.metadata.uid;
    const phase = pod.status?.phase;
    if (!pod.spec.nodeName) {
      if (!pod.metadata.deletionTimestamp && !this.bound.has(uid)) void this.bind(pod);
      return;
    }
    if (pod.spec.nodeName !== this.env.nodeName) return;
    if (pod.metadata.deletionTimestamp) {
      void this.terminate(pod);
      return;
    }
    const rt = this.pods.get(uid);
    if (rt) { rt.update(pod); return; }
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const fresh = new PodRuntime(pod, this.env);
    this.pods.set(uid, fresh);
    void fresh.start();
  }

  private async bind(pod: Obj): Promise<void> {
    const { name, namespace, uid } = pod.metadata;
    this.bound.add(uid);
    try {
      await this.kube.post(`/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        apiVersion: 'v1', kind: 'Binding',
        metadata: { name, namespace, uid },
        target: { apiVersion: 'v1', kind: 'Node', name: this.env.nodeName },
      });
    } catch (e) {
      // 409: someone bound it already, or it is gone; either way not ours to retry.
      if (!(e instanceof KubeError && (e.status === 409 || e.status === 404))) {
        this.bound.delete(uid);
        this.env.log(`bind ${namespace}/${name}: ${(e as Error).message}`);
      }
    }
  }

  private async terminate(pod: Obj): Promise<void> {
    const { name, namespace, uid } = pod.metadata;
    if (this.terminating.has(uid)) return;
    this.terminating.add(uid);
    const rt = this.pods.get(uid);
    if (rt) {
      await rt.stop(pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30);
      this.pods.delete(uid);
    }
    try {
      await this.kube.delete(`/api/v1/namespaces/${namespace}/pods/${name}`, {
        apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid },
      });
    } catch (e) {
      if (!(e instanceof KubeError && (e.status === 404 || e.status === 409))) {
        this.env.log(`delete ${namespace}/${name}: ${(e as Error).message}`);
      }
    }
    this.terminating.delete(uid);
    this.bound.delete(uid);
  }

  /** The Pod object is gone already (forced deletion): just stop what runs. */
  private async forget(uid: string, rt: PodRuntime): Promise<void> {
    this.pods.delete(uid);
    this.bound.delete(uid);
    await rt.stop(0);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.pods.values()].map((rt) => rt.stop(2)));
    this.pods.clear();
  }
}
