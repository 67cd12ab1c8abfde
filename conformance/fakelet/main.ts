// fakelet: the harness's node agent. Registers a Node and runs the Pods bound to it
// as local processes in network namespaces on the harness bridge. See ../README.md.
import { parseArgs } from 'node:util';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadKubeconfig } from './kubeconfig.ts';
import { KubeClient } from './kube-client.ts';
import { registerNode, updateNodeStatus } from './node.ts';
import { Agent } from './agent.ts';
import { IpPool } from './ip-pool.ts';
import { startKubeletServer } from './kubelet-server.ts';
import { listOurNetns, deleteNetns } from './netns.ts';
import { killRecorded } from './process.ts';

const { values: a } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'node-name': { type: 'string', default: 'fakelet-0' },
    'node-ip': { type: 'string', default: '198.18.0.1' },
    'pod-cidr': { type: 'string', default: '198.18.0.0/16' },
    bridge: { type: 'string', default: 'fakelet0' },
    'state-dir': { type: 'string' },
    'echo-basic': { type: 'string' },
    'kubelet-cert': { type: 'string' },
    'kubelet-key': { type: 'string' },
    'kubelet-port': { type: 'string', default: '10250' },
    'kubelet-version': { type: 'string', default: 'v1.37.2' },
  },
});
for (const k of ['kubeconfig', 'state-dir', 'echo-basic', 'kubelet-cert', 'kubelet-key'] as const) {
  if (!a[k]) { console.error(`fakelet: --${k} is required`); process.exit(2); }
}

const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);
const stateDir = a['state-dir']!;

// Leftovers of an earlier run: its processes (by recorded PID and start time), its
// network namespaces and its Pod files.
const killed = killRecorded(join(stateDir, 'pids'));
const stale = listOurNetns();
for (const ns of stale) await deleteNetns(ns);
rmSync(join(stateDir, 'pods'), { recursive: true, force: true });
mkdirSync(join(stateDir, 'pids'), { recursive: true });
if (killed || stale.length) log(`cleaned up ${killed} processes and ${stale.length} netns from an earlier run`);

const kube = new KubeClient(loadKubeconfig(a.kubeconfig!));
const nodeCfg = {
  name: a['node-name']!, nodeIP: a['node-ip']!, podCIDR: a['pod-cidr']!,
  kubeletPort: Number(a['kubelet-port']), version: a['kubelet-version']!,
};
const prefixLen = Number(a['pod-cidr']!.split('/')[1]);
const agent = new Agent({
  kube, log, stateDir, nodeName: nodeCfg.name, nodeIP: nodeCfg.nodeIP, prefixLen, bridge: a.bridge!,
  pool: new IpPool(a['pod-cidr']!, [nodeCfg.nodeIP]),
  programs: {
    echoBasic: a['echo-basic']!,
    dnsStandin: new URL('./dns-standin.ts', import.meta.url).pathname,
    node: process.execPath,
  },
});

const server = startKubeletServer(nodeCfg.nodeIP, nodeCfg.kubeletPort, a['kubelet-cert']!, a['kubelet-key']!, agent);
await registerNode(kube, nodeCfg);
log(`node ${nodeCfg.name} registered (InternalIP ${nodeCfg.nodeIP}, kubelet port ${nodeCfg.kubeletPort})`);
const heartbeat = setInterval(() => {
  updateNodeStatus(kube, nodeCfg).catch((e) => log(`node status: ${e.message}`));
}, 30_000);

const ac = new AbortController();
let stopping = false;
const shutdown = async (sig: string) => {
  if (stopping) return;
  stopping = true;
  log(`${sig}: stopping all pods`);
  ac.abort();
  clearInterval(heartbeat);
  server.close();
  await agent.stopAll();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await agent.run(ac.signal);
