// The backend every target forwards to: nginx answering a small fixed response from a `return 200`
// location (fast enough that it is never the bottleneck), and serving body files for the large
// body scenario from any path ending in /files/NAME.
export function backendNginxConfig(o: { workDir: string; port: number; tag: string }): string {
  const w = o.workDir;
  return [
    'worker_processes 1;',
    'daemon off;',
    'master_process on;',
    'user root;',
    `pid ${w}/backend-${o.tag}.pid;`,
    `error_log ${w}/backend-${o.tag}-error.log warn;`,
    'worker_rlimit_nofile 65536;',
    'events { worker_connections 16384; multi_accept on; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${w}/tmp/bbody-${o.tag};`,
    `  proxy_temp_path ${w}/tmp/bproxy-${o.tag};`,
    `  fastcgi_temp_path ${w}/tmp/bfastcgi-${o.tag};`,
    `  uwsgi_temp_path ${w}/tmp/buwsgi-${o.tag};`,
    `  scgi_temp_path ${w}/tmp/bscgi-${o.tag};`,
    '  keepalive_requests 10000000;',
    '  keepalive_timeout 120s;',
    '  sendfile on;',
    '  server {',
    `    listen 127.0.0.1:${o.port} backlog=4096;`,
    '    default_type text/plain;',
    `    location ~ /files/([a-z0-9.]+)$ { alias ${w}/files/$1; }`,
    '    location / { return 200 "ok\\n"; }',
    '  }',
    '}',
    '',
  ].join('\n');
}
