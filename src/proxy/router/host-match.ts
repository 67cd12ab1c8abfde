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

  /** Adds a pattern unless it is there already (the first entry wins); returns whether it was added. */
  add(pattern: string | undefined, value: T): boolean {
    if (pattern === undefined || pattern === '*') {
      if (this.any !== undefined) return false;
      this.any = value;
    } else if (pattern.startsWith('*.')) {
      const suffix = pattern.slice(1);
      if (this.wildcard.has(suffix)) return false;
      this.wildcard.set(suffix, value);
    } else {
      if (this.exact.has(pattern)) return false;
      this.exact.set(pattern, value);
    }
    return true;
  }

  /** The value a pattern was added with (not a lookup: `*.a.b` finds only the entry for `*.a.b`). */
  get(pattern: string | undefined): T | undefined {
    if (pattern === undefined || pattern === '*') return this.any;
    if (pattern.startsWith('*.')) return this.wildcard.get(pattern.slice(1));
    return this.exact.get(pattern);
  }

  /** Sets a pattern's value, replacing what it had (patching a table in place). */
  set(pattern: string | undefined, value: T): void {
    if (pattern === undefined || pattern === '*') this.any = value;
    else if (pattern.startsWith('*.')) this.wildcard.set(pattern.slice(1), value);
    else this.exact.set(pattern, value);
  }

  /** Removes a pattern. */
  delete(pattern: string | undefined): void {
    if (pattern === undefined || pattern === '*') this.any = undefined;
    else if (pattern.startsWith('*.')) this.wildcard.delete(pattern.slice(1));
    else this.exact.delete(pattern);
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
