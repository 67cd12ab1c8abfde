// Picks the entry whose hostname pattern best matches a TLS server name (SNI), with the Gateway
// API's precedence: an exact hostname beats any wildcard; a wildcard with more labels beats one
// with fewer (`*.a.example.com` over `*.example.com` over `*.com`); an entry without hostnames
// matches any name, and is the only kind that matches a connection without SNI. Ties go to the
// entry given first (the IR lists entries in precedence order).
//
// A wildcard `*.example.com` matches any name with at least one more label in front
// (`a.example.com`, `a.b.example.com`) but not `example.com` itself, as for listener hostnames.

export interface HostnameEntry<T> {
  /** Lower-case patterns; absent, empty, or `*` = matches any name (and no name). */
  hostnames?: readonly string[];
  value: T;
}

export class HostnameTable<T> {
  private readonly exact = new Map<string, T>();
  /** Keyed by the suffix after `*.`, e.g. `example.com`. */
  private readonly wildcard = new Map<string, T>();
  private readonly any: T | undefined;

  constructor(entries: readonly HostnameEntry<T>[]) {
    let any: T | undefined;
    for (const e of entries) {
      if (e.hostnames === undefined || e.hostnames.length === 0) {
        if (any === undefined) any = e.value;
        continue;
      }
      for (const raw of e.hostnames) {
        const h = raw.toLowerCase();
        if (h === '*') {
          if (any === undefined) any = e.value;
        } else if (h.startsWith('*.')) {
          const suffix = h.slice(2);
          if (!this.wildcard.has(suffix)) this.wildcard.set(suffix, e.value);
        } else if (!this.exact.has(h)) {
          this.exact.set(h, e.value);
        }
      }
    }
    this.any = any;
  }

  /** The best entry for `serverName` (lower case), or for a connection without SNI. */
  match(serverName: string | undefined): T | undefined {
    if (serverName === undefined || serverName === '') return this.any;
    const exact = this.exact.get(serverName);
    if (exact !== undefined) return exact;
    if (this.wildcard.size > 0) {
      // Longest suffix first: strip one label at a time from the left.
      let dot = serverName.indexOf('.');
      while (dot >= 0 && dot < serverName.length - 1) {
        const hit = this.wildcard.get(serverName.slice(dot + 1));
        if (hit !== undefined) return hit;
        dot = serverName.indexOf('.', dot + 1);
      }
    }
    return this.any;
  }
}
