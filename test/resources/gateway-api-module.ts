// Where the Gateway API Go module (CRDs, examples) and its conformance module are unpacked: the Go
// module cache. Downloads them with `go mod download` when they are missing, so tests that read
// them run on any machine of ours (Go is installed everywhere and the module proxy is reachable).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const GATEWAY_API_VERSION = 'v1.6.3';

let modCache: string | undefined;

function goModCache(): string {
  modCache ??= execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  return modCache;
}

function ensure(dir: string, module: string): string {
  if (!existsSync(dir)) {
    execFileSync('go', ['mod', 'download', `${module}@${GATEWAY_API_VERSION}`], { stdio: 'inherit', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  }
  return dir;
}

/** The root of sigs.k8s.io/gateway-api@v1.6.3 in the module cache. */
export function gatewayApiModule(): string {
  return ensure(join(goModCache(), 'sigs.k8s.io', `gateway-api@${GATEWAY_API_VERSION}`), 'sigs.k8s.io/gateway-api');
}

/** The root of sigs.k8s.io/gateway-api/conformance@v1.6.3 in the module cache. */
export function conformanceModule(): string {
  return ensure(join(goModCache(), 'sigs.k8s.io', 'gateway-api', `conformance@${GATEWAY_API_VERSION}`), 'sigs.k8s.io/gateway-api/conformance');
}

/**
 * The conformance suite fills these in before applying its manifests: the GatewayClass and
 * controller names, and static addresses from the pools it is given.
 */
export function substituteSuitePlaceholders(text: string): string {
  return text
    .replaceAll('{GATEWAY_CLASS_NAME}', 'wicket')
    .replaceAll('{GATEWAY_CONTROLLER_NAME}', 'wicket.dev/gateway-controller')
    .replaceAll('PLACEHOLDER_USABLE_ADDRS', '127.0.0.2')
    .replaceAll('PLACEHOLDER_UNUSABLE_ADDRS', '198.18.0.250');
}
