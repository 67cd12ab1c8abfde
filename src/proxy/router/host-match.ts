// Hostname patterns as the IR writes them: `foo.example.com` (exact), `*.example.com` (wildcard:
// one or more labels in front of `.example.com`, never `example.com` itself), `*` or absent (any).
// Hosts arrive normalised (lower case, no port, no trailing dot; see request-head.ts).

/** The reference semantics, used by the linear matcher. */
export function hostMatches(pattern: string | undefined, host: string): boolean {
  if (pattern === undefined || pattern === '*') return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    return host.length > suffix.length && host.endsWith(suffix);
  }
  return pattern === host;
}

/**
 * The compiled form: an exact map, a map of wildcard suffixes, and a catch-all. For a host, the
 * exact entry wins, then the wildcard with the most labels, then the catch-all. That is what a
 * first-match scan returns over a list sorted most specific first, which is how the IR orders
 * listeners and virtual hosts. Duplicate patterns keep the first entry, as a scan would.
 */
export class HostTable<T> {
  private readonly exact = new Map<string, T>();
  private readonly wildcard = new Map<string, T>();
  private any: T | undefined;

  add(pattern: string | undefined, value: T): void {
    if (pattern === undefined || pattern === '*') {
      if (this.any === undefined) this.any = value;
    } else if (pattern.startsWith('*.')) {
      const suffix = pattern.slice(1);
      if (!this.wildcard.has(suffix)) this.wildcard.set(suffix, value);
    } else if (!this.exact.has(pattern)) {
      this.exact.set(pattern, value);
    }
  }

  lookup(host: string): T | undefined {
    const hit = this.exact.get(host);
    if (hit !== undefined) return hit;
    if (this.wildcard.size > 0) {
      // Longest suffix first = most labels. The first dot must leave at least one label in front.
      for (let i = host.indexOf('.'); i > 0; i = host.indexOf('.', i + 1)) {
        const w = this.wildcard.get(host.slice(i));
        if (w !== undefined) return w;
      }
    }
    return this.any;
  }
}
