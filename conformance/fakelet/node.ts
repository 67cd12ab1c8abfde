// Registers the fakelet's Node and keeps its status fresh. No node-lifecycle
// controller runs, so the heartbeat only keeps the conditions' times plausible.
import os from 'node:os';
import { KubeError, type KubeClient } from './kube-client.ts';

export interface NodeConfig { name: string; nodeIP: string; podCIDR: string; kubeletPort: number; version: string }

export async function registerNode(kube: KubeClient, cfg: NodeConfig): Promise<void> {
  const node = {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: cfg.name,
      labels: { 'kubernetes.io/hostname': cfg.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'wicket.dev/fakelet': 'true' },
    },
    spec: { podCIDR: cfg.podCIDR, podCIDRs: [cfg.podCIDR] },
  };
  try {
    await kube.post('/api/v1/nodes', node);
  } catch (e) {
    if (!(e instanceof KubeError && e.status === 409)) throw e;
  }
  // The TaintNodesByCondition admission plugin adds a not-ready taint at creation that
  // only the node-lifecycle controller would lift; we bind Pods ourselves, but lift it
  // anyway so the Node looks like a healthy one.
  await kube.mergePatch(`/api/v1/nodes/${cfg.name}`, { spec: { taints: null } });
  await updateNodeStatus(kube, cfg);
}

export async function updateNodeStatus(kube: KubeClient, cfg: NodeConfig): Promise<void> {
  const now = new Date().toISOString();
  const c = (type: string, status: string, reason: string) =>
    ({ type, status, reason, message: reason, lastHeartbeatTime: now, lastTransitionTime: now });
  const resources = { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: '250' };
  await kube.mergePatch(`/api/v1/nodes/${cfg.name}/status`, {
    status: {
      conditions: [
        c('Ready', 'True', 'KubeletReady'),
        c('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        c('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        c('PIDPressure', 'False', 'KubeletHasSufficientPID'),
      ],
      addresses: [{ type: 'InternalIP', address: cfg.nodeIP }],
      capacity: resources,
      allocatable: resources,
      daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort } },
      nodeInfo: {
        machineID: 'fakelet', systemUUID: 'fakelet', bootID: 'fakelet', kernelVersion: os.release(),
        osImage: 'fakelet', containerRuntimeVersion: 'fakelet://1', kubeletVersion: cfg.version,
        kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  });
}
