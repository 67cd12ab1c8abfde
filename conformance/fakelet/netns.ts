// Per-Pod network namespaces on the harness bridge. Each Pod gets a netns with a veth
// whose far end is enslaved to the bridge, an address from the Pod range, and no default
// route: Pods only ever talk to the host (198.18.0.1) and each other, never beyond.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const NETNS_PREFIX = 'fkl-';

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

export function netnsName(uid: string): string {
  return NETNS_PREFIX + uid.replace(/-/g, '').slice(0, 12);
}

// Interface names are limited to 15 bytes.
export function hostVethName(uid: string): string {
  return 'fkv' + uid.replace(/-/g, '').slice(0, 11);
}

export async function createPodNetwork(uid: string, podIP: string, prefixLen: number, bridge: string): Promise<string> {
  const ns = netnsName(uid);
  const veth = hostVethName(uid);
  await deletePodNetwork(uid);
  await ip('netns', 'add', ns);
  await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  await ip('link', 'set', veth, 'master', bridge);
  await ip('link', 'set', veth, 'up');
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
  await ip('-n', ns, 'addr', 'add', `${podIP}/${prefixLen}`, 'dev', 'eth0');
  await ip('-n', ns, 'link', 'set', 'eth0', 'up');
  return ns;
}

/** Deleting the netns removes its veth end, which removes the host end too. */
export async function deletePodNetwork(uid: string): Promise<void> {
  await run('ip', ['netns', 'delete', netnsName(uid)]).catch(() => {});
  await run('ip', ['link', 'delete', hostVethName(uid)]).catch(() => {});
}

export function listOurNetns(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(NETNS_PREFIX));
  } catch {
    return [];
  }
}

export async function deleteNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'delete', name]).catch(() => {});
}
