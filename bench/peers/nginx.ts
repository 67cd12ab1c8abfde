// nginx configuration for a routing table: one server block per hostname, one location per path
// match (PathPrefix `/a` becomes `location = /a` plus `location /a/`, which is the Gateway API's
// element-wise prefix), upstreams with keep-alive pools. Run in the foreground (`daemon off`) so
// the bench owns the master's PID.
import type { PeerTable } from './table.ts';

export interface NginxOptions {
  workDir: string;
  listenPort: number;
  /** worker_processes: a number or 'auto'. */
  workers: number | 'auto';
}

function location(path: string, upstream: string, exact: boolean): string {
  return `    location ${exact ? '= ' : ''}${path} { proxy_pass http://${upstream}; }`;
}

export function nginxConfig(table: PeerTable, o: NginxOptions): string {
  const byHost = new Map<string, string[]>();
  for (const r of table.routes) {
    const lines = byHost.get(r.host) ?? [];
    if (r.pathType === 'Exact') lines.push(location(r.path, r.upstream, true));
    else if (r.path === '/') lines.push(location('/', r.upstream, false));
    else {
      const p = r.path.replace(/\/+$/, '');
      lines.push(location(p, r.upstream, true), location(`${p}/`, r.upstream, false));
    }
    byHost.set(r.host, lines);
  }
  const w = o.workDir;
  const out: string[] = [
    `worker_processes ${o.workers};`,
    'daemon off;',
    'master_process on;',
    'user root;',
    `pid ${w}/nginx.pid;`,
    `error_log ${w}/nginx-error.log warn;`,
    'worker_rlimit_nofile 65536;',
    'events { worker_connections 16384; multi_accept on; }',
    'http {',
    '  access_log off;',
    '  server_names_hash_max_size 262144;',
    '  server_names_hash_bucket_size 128;',
    `  client_body_temp_path ${w}/tmp/body;`,
    `  proxy_temp_path ${w}/tmp/proxy;`,
    `  fastcgi_temp_path ${w}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${w}/tmp/uwsgi;`,
    `  scgi_temp_path ${w}/tmp/scgi;`,
    '  keepalive_requests 10000000;',
    '  keepalive_timeout 120s;',
    '  client_max_body_size 0;',
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '  proxy_set_header Host $http_host;',
    // Stream bodies both ways, as a gateway does, instead of spooling them to disk.
    '  proxy_request_buffering off;',
    '  proxy_buffering off;',
  ];
  for (const u of table.upstreams) {
    out.push(`  upstream ${u.id} {`);
    for (const e of u.endpoints) out.push(`    server ${e.address}:${e.port};`);
    out.push('    keepalive 256;', '    keepalive_requests 10000000;', '    keepalive_timeout 120s;', '  }');
  }
  out.push(`  server { listen 127.0.0.1:${o.listenPort} default_server backlog=4096; server_name _; return 404; }`);
  for (const [host, lines] of byHost) {
    out.push(`  server {`, `    listen 127.0.0.1:${o.listenPort};`, `    server_name ${host};`, ...lines, '  }');
  }
  out.push('}', '');
  return out.join('\n');
}
