// Maps container images to local programs, since there is no container runtime:
// the suite's echo-basic image runs the echo-basic binary built from the same Go
// module, and coredns runs our DNS stand-in (the suite's Corefile forwards to public
// resolvers, which must never be dialled from here).
import type { Obj } from './kube-client.ts';

export interface Programs { echoBasic: string; dnsStandin: string; node: string }

export interface Program {
  command: string;
  args: string[];
  /** Ports that must accept a connection (tcp) or exist as a bound socket (udp) before Ready. */
  probes: { protocol: 'tcp' | 'udp'; port: number }[];
}

function imageName(image: string): string {
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

function port(env: Record<string, string>, name: string, dflt: number): number {
  const n = Number.parseInt(env[name] ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

/** Returns null for images we cannot run; the Pod then stays Pending with a reason. */
export function programFor(container: Obj, env: Record<string, string>, progs: Programs): Program | null {
  const name = imageName(container.image ?? '');
  const args: string[] = [...(container.args ?? [])];
  if (name.endsWith('/gateway-api/echo-basic') || name === 'echo-basic') {
    let probes: Program['probes'];
    if (env.UDP_ECHO_SERVER) probes = [{ protocol: 'udp', port: port(env, 'UDP_PORT', 8080) }];
    else if (env.TCP_ECHO_SERVER) probes = [{ protocol: 'tcp', port: port(env, 'TCP_PORT', 3000) }];
    else probes = [{ protocol: 'tcp', port: port(env, 'HTTP_PORT', 3000) }];
    return { command: progs.echoBasic, args, probes: withDeclared(probes, container) };
  }
  if (name.endsWith('/coredns') || name === 'coredns') {
    return { command: progs.node, args: [progs.dnsStandin, ...args], probes: [{ protocol: 'udp', port: 53 }] };
  }
  return null;
}

// Declared containerPorts are probed too, so a Deployment that names its ports is
// Ready only once all of them listen.
function withDeclared(probes: Program['probes'], container: Obj): Program['probes'] {
  const out = [...probes];
  for (const p of container.ports ?? []) {
    const protocol = (p.protocol ?? 'TCP') === 'UDP' ? 'udp' : 'tcp';
    if (protocol === 'tcp' && !out.some((o) => o.protocol === protocol && o.port === p.containerPort)) {
      out.push({ protocol, port: p.containerPort });
    }
  }
  return out;
}
