// Reads the few kubeconfig fields our own generated kubeconfigs use: one cluster
// with a server URL and CA, one user with a client certificate. Paths in the file
// are relative to the file, as kubectl resolves them.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

export interface ClusterAccess {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

interface Named<T> { name: string; [k: string]: unknown; cluster?: T; user?: T; context?: T }

export function loadKubeconfig(file: string): ClusterAccess {
  const doc = parse(readFileSync(file, 'utf8'));
  const base = dirname(file);
  const ctxName: string = doc['current-context'];
  const ctx = (doc.contexts as Named<Record<string, string>>[]).find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig ${file}: no context ${ctxName}`);
  const cluster = (doc.clusters as Named<Record<string, string>>[]).find((c) => c.name === ctx.cluster)?.cluster;
  const user = (doc.users as Named<Record<string, string>>[]).find((u) => u.name === ctx.user)?.user;
  if (!cluster || !user) throw new Error(`kubeconfig ${file}: incomplete context ${ctxName}`);
  const read = (o: Record<string, string>, field: string): Buffer => {
    if (o[`${field}-data`]) return Buffer.from(o[`${field}-data`], 'base64');
    if (o[field]) return readFileSync(resolve(base, o[field]));
    throw new Error(`kubeconfig ${file}: missing ${field}`);
  };
  return {
    server: cluster.server,
    ca: read(cluster, 'certificate-authority'),
    cert: read(user, 'client-certificate'),
    key: read(user, 'client-key'),
  };
}
