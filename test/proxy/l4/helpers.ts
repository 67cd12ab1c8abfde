// Shared fixtures for the layer-4 tests: certificates made with the openssl CLI, backends on
// 127.0.0.1 with OS-chosen ports, small IR builders, and client helpers.

import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Cluster, IRListener, IRPort, L4Route, WeightedBackend } from '../../../src/ir/types.ts';

export interface Pem {
  cert: string;
  key: string;
}

/** A throwaway CA and leaf certificates signed by it (one per entry of `leaves`, keyed by name). */
export function makeCerts(leaves: Record<string, string[]>): { dir: string; ca: Pem; leaf: Record<string, Pem> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wicket-l4-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=wicket-test-ca');
  const leaf: Record<string, Pem> = {};
  for (const [name, dns] of Object.entries(leaves)) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}\n`);
    ossl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${dns[0]}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    leaf[name] = { cert: fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8'), key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8') };
  }
  const ca = { cert: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8') };
  return { dir, ca, leaf };
}

/** Captures the first TLS record a node:tls client sends (its ClientHello). */
export async function captureClientHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const got = new Promise<Buffer>((resolve, reject) => {
    server.once('connection', (sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          sock.destroy();
          resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)));
        }
      });
      sock.on('error', reject);
    });
  });
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
  client.on('error', () => {});
  try {
    return await got;
  } finally {
    client.destroy();
    await new Promise((r) => server.close(r));
  }
}

export interface Closable {
  close(): Promise<void>;
}

/**
 * A TLS backend: on each connection it greets with `${name}\n`, then echoes lines prefixed with
 * its name. Records the SNI it saw.
 */
export async function tlsBackend(name: string, pem: Pem): Promise<{ port: number; seen: (string | false | null)[]; close(): Promise<void> }> {
  const seen: (string | false | null)[] = [];
  const server = tls.createServer({ cert: pem.cert, key: pem.key }, (sock) => {
    seen.push(sock.servername);
    sock.write(`${name}\n`);
    sock.on('data', (d) => sock.write(`${name}:${d}`));
    sock.on('end', () => sock.end());
    sock.on('error', () => {});
  });
  return { ...(await listen(server)), seen };
}

/** A plain TCP backend: greets with `${name}\n`, echoes bytes as they come, ends when the client ends. */
export async function tcpBackend(name: string, opts: { greet?: boolean } = {}): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    count++;
    if (opts.greet !== false) sock.write(`${name}\n`);
    sock.pipe(sock);
    sock.on('error', () => {});
  });
  return { ...(await listen(server)), connections: () => count };
}

export async function listen(server: net.Server): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** UDP echo backend answering `${name}:${datagram}`. */
export async function udpBackend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => sock.send(Buffer.concat([Buffer.from(`${name}:`), msg]), rinfo.port, rinfo.address));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

// ---- IR builders ----

export function cluster(name: string, ports: number[], extra: Partial<Cluster> = {}): Cluster {
  return { name, protocol: 'tcp', endpoints: ports.map((port) => ({ address: '127.0.0.1', port, weight: 1 })), ...extra };
}

export function backends(...pairs: [string | null, number][]): WeightedBackend[] {
  return pairs.map(([cluster, weight]) => ({ cluster, weight, filters: [] }));
}

export function l4Route(route: string, b: WeightedBackend[], hostnames?: string[]): L4Route {
  return hostnames ? { route, hostnames, backends: b } : { route, backends: b };
}

export function port(kind: IRPort['kind'], listeners: IRListener[]): IRPort {
  return { name: `127.0.0.1:0/${kind}`, address: '127.0.0.1', port: 0, kind, listeners };
}

export function listener(name: string, protocol: IRListener['protocol'], extra: Partial<IRListener> = {}): IRListener {
  return { name: `ns/gw/${name}`, gateway: 'ns/gw', protocol, ...extra };
}

// ---- clients ----

/** Reads from a socket until `n` lines (or the end) have arrived. */
export function readLines(sock: net.Socket | tls.TLSSocket, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const check = () => {
      const lines = buf.split('\n');
      if (lines.length > n) finish(lines.slice(0, n));
    };
    const onData = (d: Buffer) => {
      buf += d.toString();
      check();
    };
    const finish = (lines: string[]) => {
      sock.removeListener('data', onData);
      sock.removeListener('end', onEnd);
      sock.removeListener('error', reject);
      resolve(lines);
    };
    const onEnd = () => finish(buf.split('\n').filter((l) => l !== ''));
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', reject);
  });
}

/**
 * Opens a TLS connection through the proxy and returns the backend's greeting line; rejects when
 * the connection is refused (reset or closed before the handshake ends).
 */
export function tlsGreeting(proxyPort: number, servername: string | undefined, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port: proxyPort, servername, ca, ...(servername ? {} : { checkServerIdentity: () => undefined }) });
    sock.once('secureConnect', () => {
      readLines(sock, 1).then(
        ([line]) => {
          sock.end();
          resolve(line ?? '');
        },
        reject,
      );
    });
    sock.once('error', (err) => {
      sock.destroy();
      reject(err);
    });
    sock.once('close', () => reject(new Error('closed before the handshake completed')));
  });
}

/** Whether a connection attempt ends in a reset / close (the spec's "rejected"). */
export async function isRejected(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch {
    return true;
  }
}
