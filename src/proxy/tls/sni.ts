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

  /** `clientCaPem`: CAs that client certificates are verified against (frontend validation). */
  get(cert: Certificate, clientCaPem?: string): SecureContext {
    const key = `${cert.keyPem}\u0000${cert.certPem}\u0000${clientCaPem ?? ''}`;
    let ctx = this.next.get(key) ?? this.contexts.get(key);
    if (ctx === undefined) {
      try {
        ctx = createSecureContext({ key: cert.keyPem, cert: cert.certPem, ...(clientCaPem ? { ca: clientCaPem } : {}) });
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

export type ClientValidationMode = 'AllowValidOnly' | 'AllowInsecureFallback';

class CertTable {
  readonly byName = new HostTable<SecureContext>();
  first: SecureContext | undefined;
  validation: ClientValidationMode | null = null;
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
  /** CAs for client certificates on the default certificate's listener (no SNI). */
  readonly defaultClientCaPem: string | null;
  /** Whether any listener validates client certificates (the server must ask for them). */
  readonly requestClientCert: boolean;
  private defaultValidation: ClientValidationMode | null = null;
  /** Listener-level problems (bad PEM), by listener name; the listener gets no certificate. */
  readonly errors: string[] = [];

  constructor(listeners: IRListener[], cache: SecureContextCache) {
    let def: Certificate | null = null;
    let defCa: string | null = null;
    let request = false;
    for (const l of listeners) {
      const certs = l.tls?.mode === 'Terminate' ? l.tls.certificates : [];
      const table = new CertTable();
      const cv = l.tls?.clientValidation;
      if (cv) {
        table.validation = cv.mode;
        request = true;
      }
      for (const c of certs) {
        let ctx: SecureContext;
        try {
          ctx = cache.get(c, cv?.caPem);
        } catch (err) {
          this.errors.push(`listener ${l.name}: ${(err as Error).message}`);
          continue;
        }
        table.add(c, ctx);
        this.all.add(c, ctx);
        if (def === null) {
          def = c;
          defCa = cv?.caPem ?? null;
          this.defaultValidation = table.validation;
        }
      }
      if (table.first !== undefined) this.listeners.add(l.hostname, table);
    }
    this.defaultCert = def;
    this.defaultClientCaPem = defCa;
    this.requestClientCert = request;
  }

  /**
   * How the listener a connection reached (by SNI; the default one without SNI) treats client
   * certificates: null when it does not ask for them.
   */
  validationFor(servername: string | null): ClientValidationMode | null {
    if (servername === null || servername === '') return this.defaultValidation;
    const table = this.listeners.lookup(servername.toLowerCase().replace(/\.$/, ''));
    return table === undefined ? this.defaultValidation : table.validation;
  }

  /** The context for a server name (already lower case or not: normalised here). */
  select(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const table = this.listeners.lookup(name);
    if (table !== undefined) return table.byName.lookup(name) ?? table.first;
    return this.all.byName.lookup(name) ?? this.all.first;
  }
}
