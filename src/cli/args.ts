// Command-line parsing for every `wicket` command. Bad usage is a WicketError with code USAGE,
// which main() turns into a message and exit status 2.
import { parseArgs } from 'node:util';
import { ErrorCodes, WicketError } from '../errors.ts';
import type { Level } from '../log.ts';

export interface CommonFlags {
  controllerName: string;
  defaultAddress: string;
  adminAddress: string;
  addressPool?: string;
  logLevel: Level;
  kubeconfig?: string;
  /** Longest a shutdown waits for requests in flight, in milliseconds. */
  drainTimeoutMs: number;
  /** Data-plane worker processes sharing the listening sockets: 1 = in process, 'auto' = one per core. */
  workers: number | 'auto';
}

export interface ParsedCommand {
  command: 'run' | 'validate' | 'quickstart' | 'version' | 'help';
  files: string[];
  flags: CommonFlags;
}

const OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  kubeconfig: { type: 'string' },
  'controller-name': { type: 'string' },
  'default-address': { type: 'string' },
  'admin-address': { type: 'string' },
  'address-pool': { type: 'string' },
  'log-level': { type: 'string' },
  'drain-timeout': { type: 'string' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const COMMANDS = new Set(['run', 'validate', 'quickstart', 'version', 'help']);
const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

export function parseCommandLine(argv: string[]): ParsedCommand {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (err) {
    throw usage((err as Error).message);
  }
  let command = positionals[0] ?? (values.version ? 'version' : 'help');
  if (values.help) command = 'help';
  if (!COMMANDS.has(command)) throw usage(`unknown command ${JSON.stringify(command)}`);
  if (positionals.length > 1) throw usage(`unexpected argument ${JSON.stringify(positionals[1])}`);

  const logLevel = values['log-level'] ?? 'info';
  if (!LEVELS.has(logLevel)) throw usage(`--log-level ${logLevel}: expected debug, info, warn or error`);
  const drain = values['drain-timeout'] ?? '15s';
  const drainTimeoutMs = parseDuration(drain);
  if (drainTimeoutMs === undefined) throw usage(`--drain-timeout ${drain}: expected a duration such as 15s or 500ms`);

  const workersFlag = values.workers ?? '1';
  const workers = workersFlag === 'auto' ? 'auto' : /^[1-9]\d{0,2}$/.test(workersFlag) && Number(workersFlag) <= 256 ? Number(workersFlag) : undefined;
  if (workers === undefined) throw usage(`--workers ${workersFlag}: expected a number of processes from 1 to 256, or auto`);

  const files = values.filename ?? [];
  if (command === 'validate' && files.length === 0) throw usage('validate needs at least one -f PATH');
  if (command === 'run' && files.length > 0 && values.kubeconfig) throw usage('run takes either -f PATH (file mode) or --kubeconfig (kubernetes mode), not both');

  return {
    command: command as ParsedCommand['command'],
    files,
    flags: {
      controllerName: values['controller-name'] ?? 'wicket.dev/gateway-controller',
      defaultAddress: values['default-address'] ?? '0.0.0.0',
      adminAddress: values['admin-address'] ?? '127.0.0.1:9901',
      addressPool: values['address-pool'],
      logLevel: logLevel as Level,
      kubeconfig: values.kubeconfig,
      drainTimeoutMs,
      workers,
    },
  };
}

function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
}

export function usage(message: string): WicketError {
  return new WicketError(ErrorCodes.USAGE, message);
}

export const HELP = `wicket — a Kubernetes Gateway API implementation (control plane and proxy)

Usage:
  wicket run -f PATH [-f PATH ...] [flags]   serve the manifests in PATH (files or directories, watched)
  wicket run [--kubeconfig PATH] [flags]     serve a cluster's Gateway API objects (kubernetes mode)
  wicket validate -f PATH [-f PATH ...]      check manifests; prints file:line: Kind ns/name: field: problem
  wicket quickstart                          start demo backends and serve examples/quickstart (npm start)
  wicket version                             print the version
  wicket --help                              this text

Flags:
  -f, --filename PATH        manifest file or directory (repeatable)
  --kubeconfig PATH          kubeconfig for kubernetes mode (default: in-cluster credentials)
  --controller-name NAME     GatewayClass controllerName Wicket owns (default wicket.dev/gateway-controller)
  --default-address ADDR     address listeners bind when a Gateway has none (default 0.0.0.0)
  --admin-address HOST:PORT  admin server: /healthz /readyz /metrics /config /status (default 127.0.0.1:9901;
                             port 0 picks a free port, logged as "admin listening")
  --address-pool CIDR        give each Gateway its own address from this IPv4 block (e.g. 127.1.0.0/16)
  --log-level LEVEL          debug, info, warn or error (default info); logs are JSON lines on stderr
  --drain-timeout DURATION   on SIGTERM/SIGINT, how long requests in flight may take to finish (default 15s)
  --workers N|auto           data-plane processes sharing the listening sockets (SO_REUSEPORT); auto = one
                             per core (default 1: the proxy runs in the wicket process itself)

Exit status: 0 success, 1 invalid manifests (validate) or a fatal error, 2 bad usage.
`;
