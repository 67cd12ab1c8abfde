// Builds the Pod status the fakelet reports, in the shape the kubelet writes it.
// Pure: times and facts are passed in.
import type { Obj } from './kube-client.ts';

export interface ContainerState {
  name: string;
  image: string;
  ready: boolean;
  restartCount: number;
  startedAt?: string;
  /** Why it is not running: e.g. waiting for a Secret, or an unmapped image. */
  waiting?: { reason: string; message: string };
  containerID?: string;
}

export interface PodView {
  podIP?: string;
  hostIP: string;
  startTime: string;
  scheduledAt: string;
  containers: ContainerState[];
}

function cond(type: string, ok: boolean, at: string, reason?: string) {
  return { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, ...(reason ? { reason } : {}) };
}

/** `previous` keeps transition times stable when a condition does not change. */
export function podStatus(view: PodView, now: string, previous?: Obj): Obj {
  const allReady = view.containers.length > 0 && view.containers.every((c) => c.ready);
  const running = view.containers.every((c) => c.startedAt && !c.waiting);
  const prevConds: Obj[] = previous?.conditions ?? [];
  const at = (type: string, status: boolean): string => {
    const p = prevConds.find((c) => c.type === type);
    return p && p.status === (status ? 'True' : 'False') ? p.lastTransitionTime : now;
  };
  const ips = view.podIP ? [{ ip: view.podIP }] : [];
  return {
    phase: running && view.podIP ? 'Running' : 'Pending',
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    ...(view.podIP ? { podIP: view.podIP } : {}),
    podIPs: ips,
    startTime: view.startTime,
    conditions: [
      cond('PodReadyToStartContainers', !!view.podIP, at('PodReadyToStartContainers', !!view.podIP)),
      cond('Initialized', true, at('Initialized', true)),
      cond('Ready', allReady, at('Ready', allReady), allReady ? undefined : 'ContainersNotReady'),
      cond('ContainersReady', allReady, at('ContainersReady', allReady), allReady ? undefined : 'ContainersNotReady'),
      { ...cond('PodScheduled', true, view.scheduledAt), lastTransitionTime: view.scheduledAt },
    ],
    containerStatuses: view.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: c.image,
      ...(c.containerID ? { containerID: c.containerID } : {}),
      ready: c.ready,
      started: !!c.startedAt && !c.waiting,
      restartCount: c.restartCount,
      state: c.waiting || !c.startedAt
        ? { waiting: c.waiting ?? { reason: 'ContainerCreating', message: '' } }
        : { running: { startedAt: c.startedAt } },
    })),
  };
}
