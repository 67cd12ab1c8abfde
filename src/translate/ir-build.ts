// Graph → IR. Programmed listeners of accepted Gateways become IR listeners on one socket per
// (address, port, kind); HTTP listeners get virtual hosts (most specific first; each also holds,
// after its own rules, the rules of the less specific hostnames that cover it, so "first vhost
// that matches, then first rule that matches" is the spec's precedence); TLS listeners get SNI
// routes; TCP/UDP listeners the oldest attached route.
import type { Cluster, Filter, IR, IRListener, IRPort, L4Route, PortKind, RouteRule, VirtualHost, WeightedBackend } from '../ir/types.ts';
import { IR_VERSION } from '../ir/types.ts';
import { socketName } from './addresses.ts';
import type { CompiledMatch, GatewayNode, Graph, ListenerNode } from './graph.ts';
import { compareHostnameSpecificity, sortBySpecificity } from './hostnames.ts';
import type { L4RouteNode } from './l4-routes.ts';
import { compareStrings, flatId, sameItems, sortByAge } from './meta.ts';
import { compareMatches, type RankedMatch } from './precedence.ts';

const KIND: Record<string, PortKind> = { HTTP: 'http', HTTPS: 'tls', TLS: 'tls', TCP: 'tcp', UDP: 'udp' };

/** Maps a cluster name to the one a Gateway must use (its own flavour with a client certificate). */
type Rename = (cluster: string) => string;

/**
 * The IR of a graph. `listenerIR`, when given, builds each listener instead of buildListener (for
 * Gateways without a client certificate): route-state.ts keeps what it built to update it later.
 */
export function buildIR(graph: Graph, listenerIR?: (l: ListenerNode) => IRListener): IR {
  vhostNext = new Map();
  const ports = new Map<string, IRPort>();
  let seq = 0;
  const order = new Map<IRListener, number>();
  const allClusters = new Map(graph.clusters);
  // Older Gateways first: on a shared socket their listeners win ties of equal hostnames.
  const byObj = new Map(graph.gateways.map((g) => [g.obj, g]));
  for (const obj of sortByAge([...byObj.keys()])) {
    const gw = byObj.get(obj)!;
    if (!gw.accepted) continue;
    const rename = gw.clientCertificate ? clientCertRenamer(gw, allClusters) : undefined;
    for (const l of gw.listeners) {
      if (!l.programmed || !l.protocol) continue;
      const irl = listenerIR && !rename ? listenerIR(l) : buildListener(l, rename);
      order.set(irl, seq++);
      const kind = KIND[l.protocol]!;
      for (const address of gw.addresses) {
        const name = socketName(address, l.spec.port, kind);
        let port = ports.get(name);
        if (!port) ports.set(name, (port = { name, address, port: l.spec.port, kind, listeners: [] }));
        port.listeners.push(irl);
      }
    }
  }
  for (const p of ports.values()) {
    p.listeners.sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname) || order.get(a)! - order.get(b)!);
  }
  const clusters: IR['clusters'] = {};
  for (const name of [...allClusters.keys()].sort(compareStrings)) clusters[name] = allClusters.get(name)!;
  vhostCache = vhostNext;
  vhostNext = new Map();
  return { version: IR_VERSION, ports: [...ports.values()].sort((a, b) => compareStrings(a.name, b.name)), clusters };
}

/**
 * A Gateway with spec.tls.backend.clientCertificateRef presents that certificate wherever it
 * originates TLS: its TLS clusters get a copy named `<cluster>@<namespace>/<gateway>`.
 */
function clientCertRenamer(gw: GatewayNode, clusters: Map<string, Cluster>): Rename {
  return (name) => {
    const c = clusters.get(name);
    if (!c?.tls) return name;
    const renamed = `${name}@${gw.key}`;
    if (!clusters.has(renamed)) clusters.set(renamed, { ...c, name: renamed, tls: { ...c.tls, clientCertificate: gw.clientCertificate! } });
    return renamed;
  };
}

function renameBackends(list: WeightedBackend[], rename: Rename | undefined): WeightedBackend[] {
  if (!rename) return list;
  return list.map((b) => ({ ...b, cluster: b.cluster === null ? null : rename(b.cluster), filters: renameFilters(b.filters, rename)! }));
}

function renameFilters(list: Filter[], rename: Rename | undefined): Filter[] {
  if (!rename) return list;
  return list.map((f) => (f.type === 'RequestMirror' && f.cluster ? { ...f, cluster: rename(f.cluster) } : f));
}

export function buildListener(l: ListenerNode, rename: Rename | undefined): IRListener {
  const out: IRListener = { name: l.name, gateway: l.gateway.key, protocol: l.protocol! };
  if (l.hostname) out.hostname = l.hostname;
  if (l.protocol === 'HTTPS' || (l.protocol === 'TLS' && l.tlsMode === 'Terminate')) {
    out.tls = { mode: 'Terminate', certificates: l.certificates };
    if (l.clientValidation) out.tls.clientValidation = l.clientValidation;
  } else if (l.protocol === 'TLS') {
    out.tls = { mode: 'Passthrough', certificates: [] };
  }
  switch (l.protocol) {
    case 'HTTP':
    case 'HTTPS':
      out.virtualHosts = virtualHosts(l, rename);
      break;
    case 'TLS':
      out.tlsRoutes = tlsRoutes(l, rename);
      break;
    default: {
      const oldest = [...l.attached].sort((a, b) => a.route.order - b.route.order)[0];
      if (oldest) out.l4Route = { route: oldest.route.id, backends: renameBackends(oldest.route.rules[0]!.matches[0]!.backends, rename) };
    }
  }
  return out;
}

/** An IR rule with its precedence rank (the rank's fields on the entry itself: one object per rule, kept). */
export interface Entry extends RankedMatch {
  rule: RouteRule;
}

function virtualHosts(l: ListenerNode, rename: Rename | undefined): VirtualHost[] {
  const byHost = new Map<string, Entry[]>();
  for (const a of l.attached) {
    const entries = routeEntries(a.route, rename);
    for (const h of a.hostnames) {
      const list = byHost.get(h);
      if (list) list.push(...entries);
      else byHost.set(h, [...entries]);
    }
  }
  const own = new Map<string, RouteRule[]>();
  let wildcards = false;
  for (const [h, entries] of byHost) {
    if (entries.length > 1) entries.sort(compareMatches);
    own.set(h, entries.map((e) => e.rule));
    if (h.charCodeAt(0) === 42 /* * */) wildcards = true;
  }
  const hosts = sortBySpecificity([...own.keys()]);
  return hosts.map((hostname) => {
    // Only wildcard virtual hosts can cover another: without any, nothing to add (and no copy).
    const rules = wildcards ? [...own.get(hostname)!] : own.get(hostname)!;
    if (wildcards) {
      for (const cover of coveringPatterns(hostname)) {
        const more = own.get(cover);
        if (more) rules.push(...more);
      }
    }
    return reuseVirtualHost(l.name, hostname, rules);
  });
}

/**
 * The virtual hosts of the last translation, by listener and hostname. A virtual host whose rules
 * are the same objects as last time is handed out again as the same object, so the data plane can
 * tell by identity which virtual hosts a change left alone. Entries not produced by a translation
 * are forgotten at its end (see buildIR), so this holds one translation's worth at most.
 */
let vhostCache = new Map<string, VirtualHost>();
let vhostNext = new Map<string, VirtualHost>();

export function reuseVirtualHost(listener: string, hostname: string, rules: RouteRule[]): VirtualHost {
  const key = `${listener}\n${hostname}`;
  const old = vhostCache.get(key);
  const vh = old !== undefined && sameItems(old.rules, rules) ? old : { hostname, rules };
  vhostNext.set(key, vh);
  return vh;
}

/**
 * Records a virtual host of the IR now served (undefined: the hostname is gone) made outside
 * buildIR, by an update of the last translation's IR (route-state.ts), so the next buildIR reuses it.
 */
export function rememberVirtualHost(listener: string, hostname: string, vh: VirtualHost | undefined): void {
  const key = `${listener}\n${hostname}`;
  if (vh) vhostCache.set(key, vh);
  else vhostCache.delete(key);
}

/** Less specific patterns that match every name `h` matches, most specific first. */
export function coveringPatterns(h: string): string[] {
  if (h === '*') return [];
  const labels = (h.startsWith('*.') ? h.slice(2) : h).split('.');
  const out: string[] = [];
  for (let i = 1; i < labels.length; i++) out.push('*.' + labels.slice(i).join('.'));
  out.push('*');
  return out;
}

/**
 * IR rules of a route, by its compiled rules (shared across translations while the route is
 * unchanged, see route-memo.ts), so unchanged routes give the same RouteRule objects every time.
 * The ranks carry the route's order, which another route's arrival can shift: they are remade when
 * it differs.
 */
const entryCache = new WeakMap<object, { order: number; entries: Entry[] }>();
const renamedCache = new WeakMap<Rename, WeakMap<object, { order: number; entries: Entry[] }>>();

export function routeEntries(route: ListenerNode['attached'][number]['route'], rename: Rename | undefined): Entry[] {
  let cache = entryCache;
  if (rename) {
    cache = renamedCache.get(rename) ?? new WeakMap();
    renamedCache.set(rename, cache);
  }
  const cached = cache.get(route.rules);
  if (cached && cached.order === route.order) return cached.entries;
  // Exact size from the start (kept per route: no growing list and copy).
  // Indexed loops: for-of makes an iteration result per step until the code is optimised, and
  // this runs once per route at start-up.
  const rules = route.rules;
  let n = 0;
  for (let r = 0; r < rules.length; r++) n += rules[r]!.matches.length;
  const out = new Array<Entry>(n);
  const grpc = route.kind === 'GRPCRoute';
  let k = 0;
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r]!;
    for (let mi = 0; mi < rule.matches.length; mi++) {
      const m = rule.matches[mi]!;
      const reused = cached?.entries[k]?.rule;
      if (reused) {
        out[k++] = newEntry(m, route.order, rule.index, reused);
        continue;
      }
      // Plain assignments, not conditional spreads: this runs once per rule of every route. The
      // usual rule (no name, not gRPC) is one literal in the same key order: fields added to a
      // smaller literal go to a separate property store, one more object kept per rule.
      const id = flatId(route.id, rule.index, m.index);
      let irRule: RouteRule;
      if (!rule.name && !grpc) {
        irRule = { id, route: route.id, match: m.match, filters: renameFilters(m.filters, rename), backends: renameBackends(m.backends, rename) };
      } else {
        irRule = { id, route: route.id } as RouteRule;
        if (rule.name) irRule.ruleName = rule.name;
        if (grpc) irRule.grpc = true;
        irRule.match = m.match;
        irRule.filters = renameFilters(m.filters, rename);
        irRule.backends = renameBackends(m.backends, rename);
      }
      if (rule.timeouts) irRule.timeouts = rule.timeouts;
      if (rule.retry) irRule.retry = rule.retry;
      if (rule.sessionPersistence) irRule.sessionPersistence = rule.sessionPersistence;
      out[k++] = newEntry(m, route.order, rule.index, irRule);
    }
  }
  cache.set(route.rules, { order: route.order, entries: out });
  return out;
}

function newEntry(m: CompiledMatch, routeOrder: number, ruleIndex: number, rule: RouteRule): Entry {
  const e: Entry = { match: m.match, routeOrder, ruleIndex, matchIndex: m.index, rule };
  if (m.grpc) e.grpc = m.grpc;
  return e;
}

function tlsRoutes(l: ListenerNode, rename: Rename | undefined): L4Route[] {
  const terminate = l.tlsMode === 'Terminate';
  const entries: { h: string; order: number; r: L4Route }[] = [];
  for (const a of l.attached) {
    const route = a.route as L4RouteNode;
    const backends = terminate && route.terminatedBackends ? route.terminatedBackends : route.rules[0]!.matches[0]!.backends;
    const served = terminate ? renameBackends(backends, rename) : backends;
    for (const h of a.hostnames) entries.push({ h, order: route.order, r: { route: route.id, hostnames: [h], backends: served } });
  }
  entries.sort((a, b) => compareHostnameSpecificity(a.h, b.h) || a.order - b.order);
  return entries.map((e) => e.r);
}
