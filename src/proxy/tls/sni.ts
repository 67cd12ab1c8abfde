// Certificate selection by SNI for a TLS-terminating port. The listener is chosen the way Host
// routing chooses it (exact, then wildcard with more labels, then any); within it, the certificate
// whose DNS name matches most specifically, else its first. With no listener for the name, the
// most specific certificate of the whole port; with no SNI at all, the port's default: the first
// certificate of the first listener.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Certificate, IRListener } from '../../ir/types.ts';
import { HostTable } from '../router/host-match.ts';

/** Secure contexts are costly to build; equal key+cert pairs share one across applies. */
export class SecureContextCache {
  private contexts = new Map<string, SecureContext>();
  private next = new Map<string, SecureContext>();

  get(cert: Certificate): SecureContext {
    const key = `${cert.keyPem}\u0000${cert.certPem}`;
    let ctx = this.next.get(key) ?? this.contexts.get(key);
    if (ctx === undefined) {
      try {
        ctx = createSecureContext({ key: cert.keyPem, cert: cert.certPem });
      } catch (err) {
        throw new Error(`certificate ${cert.source}: ${(err as Error).message}`);
      }
    }
    this.next.set(key, ctx);
    return ctx;
  }

  /** Keep only the contexts used since the last sweep. */
  sweep(): void {
    this.contexts = this.next;
    this.next = new Map();
  }
}

class CertTable {
  readonly byName = new HostTable<SecureContext>();
  first: SecureContext | undefined;
  add(cert: Certificate, ctx: SecureContext): void {
    if (this.first === undefined) this.first = ctx;
    for (const n of cert.dnsNames) this.byName.add(n, ctx);
  }
}

export class SniSelector {
  private readonly listeners = new HostTable<CertTable>();
  private readonly all = new CertTable();
  /** PEMs of the default certificate, for clients that send no SNI. */
  readonly defaultCert: Certificate | null;
  /** Listener-level problems (bad PEM), by listener name; the listener gets no certificate. */
  readonly errors: string[] = [];

  constructor(listeners: IRListener[], cache: SecureContextCache) {
    let def: Certificate | null = null;
    for (const l of listeners) {
      const certs = l.tls?.mode === 'Terminate' ? l.tls.certificates : [];
      const table = new CertTable();
      for (const c of certs) {
        let ctx: SecureContext;
        try {
          ctx = cache.get(c);
        } catch (err) {
          this.errors.push(`listener ${l.name}: ${(err as Error).message}`);
          continue;
        }
        table.add(c, ctx);
        this.all.add(c, ctx);
        if (def === null) def = c;
      }
      if (table.first !== undefined) this.listeners.add(l.hostname, table);
    }
    this.defaultCert = def;
  }

  /** The context for a server name (already lower case or not: normalised here). */
  select(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const table = this.listeners.lookup(name);
    if (table !== undefined) return table.byName.lookup(name) ?? table.first;
    return this.all.byName.lookup(name) ?? this.all.first;
  }
}
