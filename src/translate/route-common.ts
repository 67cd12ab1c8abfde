// What every route kind shares: the route node before its rules are compiled, resolving a rule's
// weighted backendRefs, and summing rule and reference verdicts into the route's ResolvedRefs /
// PartiallyInvalid / Accepted conditions.
import type { WeightedBackend } from '../ir/types.ts';
import type { BackendRef, RouteKind, RouteObject } from '../resources/types.ts';
import { resolveBackend, type BackendContext } from './backends.ts';
import * as C from './conditions.ts';
import { flatId } from './meta.ts';
import type { CompiledRule, PolicyNode, RouteNode } from './graph.ts';

/** A route's node with no rules yet; `hostnames` (lower-cased) only for kinds that have them. */
export function newRouteNode(route: RouteObject, hostnames?: readonly string[]): RouteNode {
  const ns = route.metadata.namespace ?? 'default';
  // Every field in the literal (optional ones possibly undefined), not a conditional spread or
  // fields added later (a separate property store): this runs once per route.
  return {
    kind: route.kind,
    obj: route,
    id: flatId(route.kind, ns, route.metadata.name),
    namespace: ns,
    order: 0,
    hostnames: hostnames ? internHostnames(hostnames) : undefined,
    rules: [],
    resolvedRefs: C.routeResolvedRefs(),
    invalid: undefined,
    partiallyInvalid: undefined,
    parents: [],
  };
}

/**
 * Lower-cased hostname lists, one array per distinct list: thousands of routes often name the same
 * few hostnames, and the per-list memo of effective hostnames (parent-refs.ts) is keyed by the
 * array, so sharing it also shares that memo. The arrays are never mutated (read-only to every
 * reader). Bounded: cleared when full, after which lists are shared again from then on.
 */
const internedHostnames = new Map<string, string[]>();
const INTERN_LIMIT = 50_000;

function internHostnames(hostnames: readonly string[]): string[] {
  const lower = hostnames.map((h) => h.toLowerCase());
  // Keys join with a newline, which no valid hostname holds: lists that do hold one (and the empty
  // list, whose key would be that of [""]) are not shared, so two keys never name different lists.
  if (lower.length === 0 || lower.some((h) => h.includes('\n'))) return lower;
  const key = lower.length === 1 ? lower[0]! : lower.join('\n');
  const out = internedHostnames.get(key);
  if (out !== undefined) return out;
  if (internedHostnames.size >= INTERN_LIMIT) internedHostnames.clear();
  internedHostnames.set(key, lower);
  return lower;
}

/**
 * `list` with no spare room: V8 gives an empty array that is pushed to room for 17 elements, which
 * a list kept per route (one rule, one match, one parent) then holds for good. A copy is exact.
 */
export function exactSize<T>(list: T[]): T[] {
  return list.length === 1 ? [list[0]!] : list.slice();
}

export interface RuleBackends {
  /** One per backendRef (weight-0 ones included, so backend filters can be zipped). */
  entries: { ref: BackendRef; cluster: string | null; weight: number }[];
  problems: C.Cond[];
  policies: PolicyNode[];
}

export function resolveRuleBackends(
  ctx: BackendContext,
  kind: RouteKind,
  ns: string,
  refs: readonly BackendRef[] | undefined,
  allowPolicy = true,
): RuleBackends {
  // Problems and policies are rare: the shared empty lists until there is one (callers only read them).
  const list = refs ?? [];
  const out: RuleBackends = { entries: new Array(list.length), problems: NO_CONDS, policies: NO_POLICIES };
  for (let i = 0; i < list.length; i++) {
    const ref = list[i]!;
    const r = resolveBackend(ctx, kind, ns, ref, allowPolicy);
    if (r.problem) (out.problems === NO_CONDS ? (out.problems = []) : out.problems).push(r.problem);
    for (const p of r.policies ?? []) if (!out.policies.includes(p)) (out.policies === NO_POLICIES ? (out.policies = []) : out.policies).push(p);
    out.entries[i] = { ref, cluster: r.cluster, weight: ref.weight ?? 1 };
  }
  return out;
}

const NO_CONDS = Object.freeze([]) as unknown as C.Cond[];
const NO_POLICIES = Object.freeze([]) as unknown as PolicyNode[];

/** Weighted IR backends: weight-0 entries dropped, invalid ones kept as `cluster: null`. */
export function weighted(b: RuleBackends, filtersFor: (i: number) => WeightedBackend['filters'] = noFilters): WeightedBackend[] {
  // Exact size from the start (kept in the IR): counted, then filled.
  let n = 0;
  for (const e of b.entries) if (e.weight > 0) n++;
  const out = new Array<WeightedBackend>(n);
  let k = 0;
  for (let i = 0; i < b.entries.length; i++) {
    const e = b.entries[i]!;
    if (e.weight > 0) out[k++] = { cluster: e.cluster, weight: e.weight, filters: filtersFor(i) };
  }
  return out;
}

/** A new empty filter list per backend (the IR's lists are not shared here). */
function noFilters(): WeightedBackend['filters'] {
  return [];
}

/** Fills resolvedRefs, partiallyInvalid and invalid on a route from its rules and problems. */
export function summarizeRoute(node: RouteNode, refProblems: readonly C.Cond[]): void {
  node.resolvedRefs = refProblems[0] ?? C.routeResolvedRefs();
  if (refProblems.length > 1) {
    const first = refProblems[0]!;
    node.resolvedRefs = { ...first, message: `${first.message} (and ${refProblems.length - 1} more)` };
  }
  const bad = node.rules.filter((r) => r.invalid);
  if (bad.length === 0) return;
  const text = bad.map((r) => `${r.invalid!.message}${r.name ? ` (rule ${r.name})` : ''}`).join('; ');
  if (bad.length === node.rules.length) {
    node.invalid = bad[0]!.invalid!.reason === 'IncompatibleFilters' ? C.routeIncompatibleFilters(text) : C.routeUnsupportedValue(text);
  } else {
    node.partiallyInvalid = C.routePartiallyInvalid(`${text}; requests they match are answered 500`);
  }
}

/** A rule that cannot be served as written answers every request it matches with 500. */
export function invalidRuleFilters(rule: CompiledRule): void {
  for (const m of rule.matches) {
    m.filters = [{ type: 'DirectResponse', statusCode: 500 }];
    m.backends = [];
  }
}
