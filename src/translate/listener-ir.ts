// One served listener's IR, kept between translations so that a change of a few routes updates
// it instead of rebuilding it (route-state.ts). An HTTP(S) listener keeps, per hostname, the
// entries of its own routes in precedence order; a change re-sorts only the hostnames the changed
// attachments carry and rebuilds only the virtual hosts that read them (their own, and the names a
// changed wildcard covers). Everything else keeps its identity: virtual hosts, rule lists, the
// IRListener itself when nothing in it changed. Other listeners (TLS, TCP, UDP) are small and are
// rebuilt whole when touched. The result is what ir-build.ts's buildListener gives for the same
// attachments: both read routeEntries() and the same precedence and hostname orders.
import type { Filter, IRListener, RouteRule, VirtualHost, WeightedBackend } from '../ir/types.ts';
import type { Attachment, ListenerNode, RouteNode } from './graph.ts';
import { compareHostnameSpecificity, sortBySpecificity } from './hostnames.ts';
import { buildListener, coveringPatterns, rememberVirtualHost, reuseVirtualHost, routeEntries, type Entry } from './ir-build.ts';
import { sameItems } from './meta.ts';
import { compareMatches } from './precedence.ts';

export interface ServedListener {
  node: ListenerNode;
  ir: IRListener;
  /** HTTP and HTTPS listeners: the virtual hosts' make-up. */
  hosts?: HostTable;
  /** Other listeners: the cluster names their IR refers to (counted in the IR's cluster set). */
  clusters?: string[];
}

interface HostTable {
  /** Attachments carrying each hostname: a hostname is served (maybe with no rules) while any does. */
  carriers: Map<string, number>;
  /** Entries of the routes on each hostname, in precedence order. */
  own: Map<string, Entry[]>;
  /** The rules of `own`, same order (a virtual host's list when no wildcard covers it). */
  ownRules: Map<string, RouteRule[]>;
  /** Hostnames, most specific first. */
  order: string[];
  /** How many hostnames are wildcards (`*` or `*.…`): none means no virtual host covers another. */
  wildcards: number;
  vhosts: Map<string, VirtualHost>;
}

const isHttp = (l: ListenerNode) => l.protocol === 'HTTP' || l.protocol === 'HTTPS';
const isWildcard = (h: string) => h.charCodeAt(0) === 42; /* * */

/** A served listener's IR from its attachments (inside buildIR: virtual hosts reused by buildIR's cache). */
export function serveListener(l: ListenerNode, attached: Iterable<Attachment>): ServedListener {
  if (!isHttp(l)) {
    const ir = buildListener({ ...l, attached: [...attached] }, undefined);
    return { node: l, ir, clusters: irClusters(ir) };
  }
  const byHost = new Map<string, Entry[]>();
  const carriers = new Map<string, number>();
  for (const a of attached) {
    const entries = routeEntries(a.route, undefined);
    const hostnames = a.hostnames;
    for (let i = 0; i < hostnames.length; i++) {
      const h = hostnames[i]!;
      const list = byHost.get(h);
      if (list) list.push(...entries);
      else byHost.set(h, [...entries]);
      carriers.set(h, (carriers.get(h) ?? 0) + 1);
    }
  }
  const table: HostTable = { carriers, own: new Map(), ownRules: new Map(), order: sortBySpecificity([...byHost.keys()]), wildcards: 0, vhosts: new Map() };
  for (const [h, entries] of byHost) {
    if (entries.length > 1) entries.sort(compareMatches);
    table.own.set(h, entries);
    table.ownRules.set(h, entries.map((e) => e.rule));
    if (isWildcard(h)) table.wildcards++;
  }
  for (const h of table.order) table.vhosts.set(h, reuseVirtualHost(l.name, h, hostRules(table, h)));
  const ir = buildListener({ ...l, attached: [] }, undefined);
  ir.virtualHosts = table.order.map((h) => table.vhosts.get(h)!);
  return { node: l, ir, hosts: table };
}

/**
 * The listener after attachments were removed and added (outside buildIR: the virtual-host cache
 * is updated here). The table is updated in place; published arrays and objects are never
 * modified (new ones replace them). `final` is the listener's whole attachment set after the change.
 */
export function updateListener(s: ServedListener, removed: readonly Attachment[], added: readonly Attachment[], final: Iterable<Attachment>): ServedListener {
  if (!s.hosts) {
    const ir = buildListener({ ...s.node, attached: [...final] }, undefined);
    return { node: s.node, ir, clusters: irClusters(ir) };
  }
  const t = s.hosts;
  const touched = new Set<string>();
  const gone = new Set<RouteRule>();
  const carried = new Map<string, number>();
  for (const a of removed) {
    for (const e of routeEntries(a.route, undefined)) gone.add(e.rule);
    for (const h of a.hostnames) {
      touched.add(h);
      carried.set(h, (carried.get(h) ?? 0) - 1);
    }
  }
  const more = new Map<string, Entry[]>();
  for (const a of added) {
    const entries = routeEntries(a.route, undefined);
    for (const h of a.hostnames) {
      touched.add(h);
      carried.set(h, (carried.get(h) ?? 0) + 1);
      const list = more.get(h);
      if (list) list.push(...entries);
      else more.set(h, [...entries]);
    }
  }
  const newHosts: string[] = [];
  const goneHosts: string[] = [];
  const changed = new Set<string>();
  for (const h of touched) {
    const old = t.own.get(h);
    const carriers = (t.carriers.get(h) ?? 0) + carried.get(h)!;
    if (carriers > 0) t.carriers.set(h, carriers);
    else t.carriers.delete(h);
    // A route's IR rules are the same objects for as long as its compiled rules are (routeEntries),
    // and a route has one attachment per listener: removing its rules removes exactly its attachment.
    const kept = old && gone.size > 0 ? old.filter((e) => !gone.has(e.rule)) : old;
    const next = carriers > 0 ? mergeEntries(kept ?? [], more.get(h)) : [];
    if (next === old || (!old && carriers === 0)) continue;
    changed.add(h);
    if (carriers === 0) {
      t.own.delete(h);
      t.ownRules.delete(h);
      goneHosts.push(h);
      if (isWildcard(h)) t.wildcards--;
      continue;
    }
    if (!old) {
      newHosts.push(h);
      if (isWildcard(h)) t.wildcards++;
    }
    t.own.set(h, next);
    t.ownRules.set(h, next.map((e) => e.rule));
  }
  if (changed.size === 0) return s;
  // The virtual-host list is patched where hostnames come, go or change (not rebuilt: thousands).
  const before = s.ir.virtualHosts!;
  let list = before;
  if (goneHosts.length > 0 || newHosts.length > 0) {
    t.order = t.order.slice();
    list = list.slice();
  }
  for (const h of goneHosts) {
    const i = hostIndex(t.order, h);
    t.order.splice(i, 1);
    list.splice(i, 1);
    t.vhosts.delete(h);
    rememberVirtualHost(s.node.name, h, undefined);
  }
  for (const h of newHosts) {
    const i = upperBound(t.order, h, compareHostnameSpecificity);
    t.order.splice(i, 0, h);
    list.splice(i, 0, undefined as unknown as VirtualHost); // set below: a new hostname is in `changed`
  }
  // Virtual hosts to rebuild: the changed hostnames, and those a changed wildcard covers.
  const rebuild = new Set(changed);
  const wild = [...changed].filter(isWildcard);
  if (wild.length > 0) {
    for (const h of t.order) if (!rebuild.has(h) && coveringPatterns(h).some((c) => wild.includes(c))) rebuild.add(h);
  }
  for (const h of rebuild) {
    if (!t.own.has(h)) continue;
    const rules = hostRules(t, h);
    const old = t.vhosts.get(h);
    if (old && sameItems(old.rules, rules)) continue;
    const vh: VirtualHost = { hostname: h, rules };
    t.vhosts.set(h, vh);
    rememberVirtualHost(s.node.name, h, vh);
    if (list === before) list = list.slice();
    list[hostIndex(t.order, h)] = vh;
  }
  if (list === before) return s;
  return { node: s.node, ir: { ...s.ir, virtualHosts: list }, hosts: t };
}

/** Where hostname `h` is in `order` (most specific first, no two alike). */
function hostIndex(order: readonly string[], h: string): number {
  const i = upperBound(order, h, compareHostnameSpecificity) - 1;
  if (order[i] !== h) throw new Error(`kept translation: hostname ${h} is missing from its listener`);
  return i;
}

/** A virtual host's rules: its own, then those of the less specific hostnames that cover it. */
function hostRules(t: HostTable, h: string): RouteRule[] {
  const own = t.ownRules.get(h)!;
  if (t.wildcards === 0) return own;
  const rules = [...own];
  for (const cover of coveringPatterns(h)) {
    const more = t.ownRules.get(cover);
    if (more) rules.push(...more);
  }
  return rules;
}

/** `kept` (in precedence order) with `add` merged in; `kept` itself when there is nothing to add. */
function mergeEntries(kept: Entry[], add: Entry[] | undefined): Entry[] {
  if (!add || add.length === 0) return kept;
  const cmp: (a: Entry, b: Entry) => number = compareMatches;
  if (add.length > 8) return [...kept, ...add].sort(cmp);
  const out = kept.slice();
  for (const e of add) out.splice(upperBound(out, e, cmp), 0, e);
  return out;
}

/** The first index whose item sorts after `x` (binary search in a sorted list). */
export function upperBound<T>(list: readonly T[], x: T, cmp: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(list[mid]!, x) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The cluster names an HTTP route's rules refer to (backends and mirrors; a name once per
 * reference), appended to `names`. Not kept per route: a list for each of thousands of routes
 * costs more memory than walking a changed route's few rules again costs time.
 */
export function clusterNamesOf(route: RouteNode, names: string[] = []): string[] {
  // Indexed loops: for-of makes an iteration result per step until the code is optimised, and
  // these run for every route at start-up.
  const rules = route.rules;
  for (let r = 0; r < rules.length; r++) {
    const matches = rules[r]!.matches;
    for (let i = 0; i < matches.length; i++) {
      backendClusters(matches[i]!.backends, names);
      filterClusters(matches[i]!.filters, names);
    }
  }
  return names;
}

function backendClusters(list: readonly WeightedBackend[], out: string[]): void {
  for (let i = 0; i < list.length; i++) {
    const b = list[i]!;
    if (b.cluster) out.push(b.cluster);
    filterClusters(b.filters, out);
  }
}

function filterClusters(list: readonly Filter[], out: string[]): void {
  for (let i = 0; i < list.length; i++) {
    const f = list[i]!;
    if (f.type === 'RequestMirror' && f.cluster) out.push(f.cluster);
  }
}

/** The cluster names a TLS, TCP or UDP listener's IR refers to. */
function irClusters(ir: IRListener): string[] {
  const out: string[] = [];
  for (const r of ir.tlsRoutes ?? []) backendClusters(r.backends, out);
  if (ir.l4Route) backendClusters(ir.l4Route.backends, out);
  return out;
}
