// HAProxy configuration for a routing table: one frontend whose routing key is
// `<host without port, lower case><path>`, looked up first in a map of exact matches, then in a
// map of prefixes (longest first, since map_beg takes the first entry that matches), as the
// HAProxy Kubernetes ingress does with map files; one backend per upstream with server-side
// keep-alive (`http-reuse always`). Run in master-worker mode in the foreground (-W -db) so the
// bench owns the master's PID and reloads with SIGUSR2.
import type { PeerTable } from './table.ts';

export interface HaproxyOptions {
  workDir: string;
  listenPort: number;
  /** nbthread. */
  threads: number;
}

export interface HaproxyFiles {
  config: string;
  exactMap: string;
  prefixMap: string;
}

export function haproxyConfig(table: PeerTable, o: HaproxyOptions): HaproxyFiles {
  const exact: [string, string][] = [];
  const prefix: [string, string][] = [];
  for (const r of table.routes) {
    if (r.pathType === 'Exact') exact.push([`${r.host}${r.path}`, r.upstream]);
    else if (r.path === '/') prefix.push([`${r.host}/`, r.upstream]);
    else {
      const p = r.path.replace(/\/+$/, '');
      exact.push([`${r.host}${p}`, r.upstream]);
      prefix.push([`${r.host}${p}/`, r.upstream]);
    }
  }
  prefix.sort((a, b) => b[0].length - a[0].length);
  const w = o.workDir;
  const lines = [
    'global',
    `  nbthread ${o.threads}`,
    '  maxconn 8000',
    '  tune.bufsize 16384',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout http-keep-alive 120s',
    '  option http-keep-alive',
    '  http-reuse always',
    'frontend fe',
    `  bind 127.0.0.1:${o.listenPort} backlog 4096`,
    '  http-request set-var(txn.path) path',
    '  http-request set-var(txn.key) req.hdr(host),field(1,:),lower,concat(,txn.path)',
    `  use_backend %[var(txn.key),map_str(${w}/exact.map)] if { var(txn.key),map_str(${w}/exact.map) -m found }`,
    `  use_backend %[var(txn.key),map_beg(${w}/prefix.map,be_404)]`,
    '  default_backend be_404',
    'backend be_404',
    '  http-request return status 404',
  ];
  for (const u of table.upstreams) {
    lines.push(`backend ${u.id}`);
    u.endpoints.forEach((e, i) => lines.push(`  server s${i} ${e.address}:${e.port} maxconn 4000`));
  }
  const map = (rows: [string, string][]): string => rows.map(([k, v]) => `${k} ${v}`).join('\n') + '\n';
  return { config: lines.join('\n') + '\n', exactMap: map(exact), prefixMap: map(prefix) };
}
