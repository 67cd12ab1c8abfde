// Hostname rules: listener × route intersection (with `*.` wildcards), and specificity order.
// A wildcard `*.example.com` matches one or more labels in front of `example.com`, never
// `example.com` itself.

/** Does hostname pattern `pattern` match the concrete or wildcard name `name`? */
function wildcardCovers(wildcard: string, name: string): boolean {
  // `*.example.com` covers `a.example.com`, `a.b.example.com` and `*.a.example.com`.
  const suffix = wildcard.slice(1); // `.example.com`
  return name.length > suffix.length && name.endsWith(suffix);
}

/**
 * The hostname a request must carry to match both the listener hostname and the route hostname,
 * or null when they do not intersect. Absent hostnames match anything.
 */
export function intersectHostnames(listener: string | undefined, route: string): string | null {
  const r = route.toLowerCase();
  if (!listener) return r;
  const l = listener.toLowerCase();
  if (l === r) return l;
  const lw = l.startsWith('*.');
  const rw = r.startsWith('*.');
  if (lw && !rw) return wildcardCovers(l, r) ? r : null;
  if (!lw && rw) return wildcardCovers(r, l) ? l : null;
  if (lw && rw) {
    if (wildcardCovers(l, r)) return r; // route is the narrower wildcard
    if (wildcardCovers(r, l)) return l;
  }
  return null;
}

/**
 * Effective hostnames of a route on a listener: the intersections, de-duplicated, in the route's
 * order. A route with no hostnames takes the listener's (or `*` for "any").
 */
export function effectiveHostnames(listener: string | undefined, routeHostnames: readonly string[] | undefined): string[] {
  if (!routeHostnames || routeHostnames.length === 0) return [listener ? listener.toLowerCase() : '*'];
  const out: string[] = [];
  for (const h of routeHostnames) {
    const x = intersectHostnames(listener, h);
    if (x !== null && !out.includes(x)) out.push(x);
  }
  return out;
}

/**
 * Sort key for "most specific first": exact names before wildcards, wildcards with more labels
 * before fewer, `*`/absent last; ties alphabetical. Negative when `a` is more specific.
 */
export function compareHostnameSpecificity(a: string | undefined, b: string | undefined): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra[0] !== rb[0]) return ra[0] - rb[0];
  if (ra[1] !== rb[1]) return rb[1] - ra[1];
  if (ra[2] !== rb[2]) return rb[2] - ra[2];
  const sa = a ?? '';
  const sb = b ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** [class (0 exact, 1 wildcard, 2 any), label count, length]. */
function rank(h: string | undefined): [number, number, number] {
  if (!h || h === '*') return [2, 0, 0];
  if (h.startsWith('*.')) return [1, labels(h) - 1, h.length];
  return [0, labels(h), h.length];
}

function labels(h: string): number {
  let n = 1;
  for (let i = h.indexOf('.'); i !== -1; i = h.indexOf('.', i + 1)) n++;
  return n;
}

/**
 * `hosts` sorted most specific first (the order of compareHostnameSpecificity), each rank computed
 * once rather than on every comparison: thousands of virtual hosts are sorted per translation.
 */
export function sortBySpecificity(hosts: readonly string[]): string[] {
  const keyed = hosts.map((h) => ({ h, r: rank(h) }));
  keyed.sort((x, y) => {
    const a = x.r;
    const b = y.r;
    if (a[0] !== b[0]) return a[0] - b[0];
    if (a[1] !== b[1]) return b[1] - a[1];
    if (a[2] !== b[2]) return b[2] - a[2];
    return x.h < y.h ? -1 : x.h > y.h ? 1 : 0;
  });
  return keyed.map((x) => x.h);
}

/** Does the pattern (exact, `*.suffix`, or `*`) match a concrete or wildcard hostname? */
export function hostnameMatches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return pattern === name || wildcardCovers(pattern, name);
  return pattern === name;
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 subdomain, optionally with a leading `*.`; IP addresses are not hostnames. */
export function validHostname(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  const name = h.startsWith('*.') ? h.slice(2) : h;
  if (/^[0-9.]+$/.test(name) || name.includes(':')) return false;
  return name.split('.').every((l) => l.length <= 63 && LABEL.test(l));
}
