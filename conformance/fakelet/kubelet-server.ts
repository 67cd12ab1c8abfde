// The part of the kubelet API the apiserver calls for `kubectl logs`:
// GET /containerLogs/<namespace>/<pod>/<container>, served over HTTPS on the node IP.
// The apiserver runs without --kubelet-certificate-authority, so a self-signed
// certificate is accepted.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { parseLogQuery, renderLogs } from './container-logs.ts';

export interface LogLocator { logFile(namespace: string, pod: string, container: string): string | undefined }

export function startKubeletServer(host: string, port: number, certFile: string, keyFile: string,
  logs: LogLocator): https.Server {
  const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://fakelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && parts[0] === 'healthz') {
      res.end('ok');
      return;
    }
    if (req.method !== 'GET' || parts[0] !== 'containerLogs' || parts.length !== 4) {
      res.writeHead(404).end('not served by the fakelet\n');
      return;
    }
    const file = logs.logFile(parts[1], parts[2], parts[3]);
    let content: string;
    try {
      if (!file) throw new Error('unknown container');
      content = readFileSync(file, 'utf8');
    } catch {
      res.writeHead(404).end(`container ${parts[3]} of pod ${parts[1]}/${parts[2]} is not running here\n`);
      return;
    }
    // follow=true is answered with what exists now; the suite never follows logs.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(renderLogs(content, parseLogQuery(url.searchParams), new Date()));
  });
  server.listen(port, host);
  return server;
}
