// The compiled router: hash lookups and a path trie instead of scans. Listeners and virtual hosts
// are found through HostTables; inside a virtual host, candidate rules come from an exact-path map,
// a trie of PathPrefix elements and a short list of regular-expression rules. Each candidate list
// is sorted by rule position, and the lowest position whose conditions hold wins — the same answer
// as a first-match scan over the ordered rules (the reference matcher), found without visiting
// rules whose path cannot match.
import type { IRListener, IRPort, VirtualHost } from '../../ir/types.ts';
import type { RequestHead } from '../request-head.ts';
import { HostTable } from './host-match.ts';
import { conditionsOf, fullMatchRegExp, normalisePrefix, type Conditions } from './rule-match.ts';
import type { Router, RuleFactory } from './types.ts';

interface Entry<R> {
  cond: Conditions;
  /** Only for RegularExpression path rules. */
  re: RegExp | null;
  value: R;
}

class TrieNode {
  /** Positions of PathPrefix rules ending at this node, ascending. */
  rules: number[] | null = null;
  children: Map<string, TrieNode> | null = null;

  child(segment: string): TrieNode {
    if (this.children === null) this.children = new Map();
    let c = this.children.get(segment);
    if (c === undefined) {
      c = new TrieNode();
      this.children.set(segment, c);
    }
    return c;
  }
}

/** The trie node of a (normalised) PathPrefix value: one child per non-empty `/`-separated segment. */
function prefixNode(root: TrieNode, prefix: string): TrieNode {
  let node = root;
  let i = 0;
  while (i <= prefix.length) {
    let j = prefix.indexOf('/', i);
    if (j === -1) j = prefix.length;
    if (j > i) node = node.child(prefix.slice(i, j));
    i = j + 1;
  }
  return node;
}

const NO_MATCH = 0x7fffffff;

export class VHostIndex<R> {
  readonly entries: Entry<R>[] = [];
  /** The rules' values, in rule order (what the factory returned). */
  readonly values: readonly R[];
  private readonly exact = new Map<string, number[]>();
  private readonly trie = new TrieNode();
  private readonly regex: number[] = [];
  /** The last router build that took this index (see ListenerState). */
  seen = 0;

  readonly vh: VirtualHost;

  constructor(vh: VirtualHost, values: readonly R[]) {
    this.vh = vh;
    this.values = values;
    // Indexed loops, no per-rule strings or arrays beyond what is kept: this runs for every rule
    // of an apply (10,000 at start-up with the bench's routes).
    const rules = vh.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const p = rule.match.path;
      this.entries.push({
        cond: conditionsOf(rule.match, rule.id),
        re: p.type === 'RegularExpression' ? fullMatchRegExp(p.value, `rule ${rule.id}: path`) : null,
        value: values[i]!,
      });
      if (p.type === 'Exact') {
        let list = this.exact.get(p.value);
        if (list === undefined) this.exact.set(p.value, (list = []));
        list.push(i);
      } else if (p.type === 'PathPrefix') {
        (prefixNode(this.trie, normalisePrefix(p.value)).rules ??= []).push(i);
      } else {
        this.regex.push(i);
      }
    }
  }

  /** Lowest position in `list` below `best` whose conditions hold, else `best`. */
  private scan(list: number[], best: number, head: RequestHead): number {
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      if (i >= best) return best;
      const e = this.entries[i]!;
      if ((e.re === null || e.re.test(head.path)) && e.cond.test(head)) return i;
    }
    return best;
  }

  match(head: RequestHead): R | null {
    const path = head.path;
    let best = NO_MATCH;
    const exact = this.exact.get(path);
    if (exact !== undefined) best = this.scan(exact, best, head);
    if (path.charCodeAt(0) === 47 /* / */) {
      let node: TrieNode | undefined = this.trie;
      if (node.rules !== null) best = this.scan(node.rules, best, head);
      let i = 1;
      while (i <= path.length && node.children !== null) {
        let j = path.indexOf('/', i);
        if (j === -1) j = path.length;
        node = node.children.get(path.slice(i, j));
        if (node === undefined) break;
        if (node.rules !== null) best = this.scan(node.rules, best, head);
        i = j + 1;
      }
    }
    if (this.regex.length > 0) best = this.scan(this.regex, best, head);
    return best === NO_MATCH ? null : this.entries[best]!.value;
  }
}

/**
 * What a router may take over from the previous router of the same port (see CompiledRouter). The
 * caller (compile.ts) knows what rule values depend on beyond their VirtualHost object.
 */
export interface RouterReuse<R> {
  /** The previous router of this port, if any. */
  prev: CompiledRouter<R> | undefined;
  /** Whether rule values an index was built with can still serve its VirtualHost on this listener. */
  stillValid(values: readonly R[], l: IRListener): boolean;
  /** Whether values built for listener `a` serve listener `b` as well (what they take from a listener is the same). */
  samePlace(a: IRListener, b: IRListener): boolean;
  /**
   * Nothing rule values depend on besides their rules and listener changed: a listener whose
   * IRListener object is the same keeps its state without a look at its indexes.
   */
  allValid: boolean;
}

/**
 * One listener's virtual hosts: the host table requests are looked up in, and the index built for
 * each VirtualHost object. Successive routers of a port share it: a build that changes a few
 * virtual hosts records a patch, applied by commit() once the whole configuration compiled, so
 * a change costs what changed, not a table of every virtual host.
 */
class ListenerState<R> {
  l: IRListener;
  readonly table = new HostTable<VHostIndex<R>>();
  readonly byVHost = new Map<VirtualHost, VHostIndex<R>>();
  /** Two virtual hosts share a hostname (the first wins): patching would need their order, so it is rebuilt instead. */
  dupes = false;

  /** Indexes of a VirtualHost object listed twice, beyond the one in byVHost (only when dupes). */
  readonly extra: VHostIndex<R>[] = [];

  constructor(l: IRListener, indexes: VHostIndex<R>[]) {
    this.l = l;
    for (const idx of indexes) {
      if (!this.table.add(idx.vh.hostname, idx)) this.dupes = true;
      if (this.byVHost.has(idx.vh)) {
        this.dupes = true;
        this.extra.push(idx);
      } else this.byVHost.set(idx.vh, idx);
    }
  }

  /** Every index this listener holds. */
  *indexes(): Iterable<VHostIndex<R>> {
    yield* this.byVHost.values();
    yield* this.extra;
  }
}

interface Patch<R> {
  state: ListenerState<R>;
  l: IRListener;
  add: VHostIndex<R>[];
  remove: VHostIndex<R>[];
}

/** Bumped by every router build: marks the indexes it takes. */
let buildSeq = 0;

export class CompiledRouter<R> implements Router<R> {
  private readonly listeners = new HostTable<{ index: number; state: ListenerState<R> }>();
  /** By listener name, for the next router of this port. */
  private readonly states = new Map<string, ListenerState<R>>();
  /** Patches to listener states shared with the previous router, applied by commit(). */
  private readonly patches: Patch<R>[] = [];
  /** Rule values of the indexes this router serves and the previous one did not, and the reverse. */
  readonly added: (readonly R[])[] = [];
  readonly removed: (readonly R[])[] = [];

  /**
   * `reuse`: the previous router of this port. A listener whose IRListener object is unchanged
   * keeps its state as is; a changed one keeps the index of every VirtualHost object it still
   * serves (when `stillValid`) and builds only the others, and its host table is patched by
   * commit(). Until commit() this router must not serve, and after it the previous one must not:
   * they share the patched tables. Without `reuse` everything is built and commit() does nothing.
   */
  constructor(port: IRPort, factory: RuleFactory<R>, reuse?: RouterReuse<R>) {
    const seq = ++buildSeq;
    port.listeners.forEach((l, index) => {
      const prev = reuse?.prev?.states.get(l.name);
      let state: ListenerState<R>;
      if (prev === undefined || this.states.has(l.name)) {
        state = this.fresh(l, factory, undefined, reuse, seq);
      } else if (prev.l === l && reuse!.allValid && !prev.dupes) {
        state = prev; // nothing to do: same listener object, same dependencies
      } else {
        state = this.patched(prev, l, factory, reuse!, seq);
      }
      this.states.set(l.name, state);
      this.listeners.add(l.hostname, { index, state });
    });
    if (reuse?.prev !== undefined) {
      for (const [name, state] of reuse.prev.states) {
        if (this.states.get(name) === state) continue;
        // A listener gone or rebuilt: whatever of it is not served again is removed.
        for (const idx of state.indexes()) if (idx.seen !== seq) this.removed.push(idx.values);
      }
    }
  }

  /** The rule values of every index this router serves (after commit()). */
  valueLists(): (readonly R[])[] {
    const out: (readonly R[])[] = [];
    for (const state of this.states.values()) for (const idx of state.indexes()) out.push(idx.values);
    return out;
  }

  listenerOf(host: string): number {
    return this.listeners.lookup(host)?.index ?? -1;
  }

  match(head: RequestHead): R | null {
    const l = this.listeners.lookup(head.host);
    if (l === undefined) return null;
    const vh = l.state.table.lookup(head.host);
    return vh === undefined ? null : vh.match(head);
  }

  /** Applies the recorded patches to the shared listener states: this router serves from now on. */
  commit(): void {
    for (const p of this.patches) {
      const { state } = p;
      for (const idx of p.remove) {
        if (state.table.get(idx.vh.hostname) === idx) state.table.delete(idx.vh.hostname);
        if (state.byVHost.get(idx.vh) === idx) state.byVHost.delete(idx.vh);
      }
      for (const idx of p.add) {
        state.table.set(idx.vh.hostname, idx);
        state.byVHost.set(idx.vh, idx);
      }
      state.l = p.l;
    }
    this.patches.length = 0;
  }

  /**
   * The index of a virtual host: the previous one when still valid (`trusted`: known valid, as the
   * listener's place and everything values depend on are unchanged), else built (counted as added).
   */
  private indexFor(vh: VirtualHost, l: IRListener, factory: RuleFactory<R>, prev: ListenerState<R> | undefined, reuse: RouterReuse<R> | undefined, trusted: boolean, seq: number): VHostIndex<R> {
    const known = prev?.byVHost.get(vh);
    if (known !== undefined && known.seen !== seq && (trusted || reuse!.stillValid(known.values, l))) {
      known.seen = seq;
      return known;
    }
    // The factory is called once per rule of a new index (it also marks what is in use).
    const idx = new VHostIndex(vh, vh.rules.map((rule) => factory(rule, vh, l)));
    idx.seen = seq;
    this.added.push(idx.values);
    return idx;
  }

  private fresh(l: IRListener, factory: RuleFactory<R>, prev: ListenerState<R> | undefined, reuse: RouterReuse<R> | undefined, seq: number): ListenerState<R> {
    const trusted = prev !== undefined && reuse!.allValid && reuse!.samePlace(prev.l, l);
    return new ListenerState(l, (l.virtualHosts ?? []).map((vh) => this.indexFor(vh, l, factory, prev, reuse, trusted, seq)));
  }

  /**
   * A changed listener whose state can be patched. The translator keeps unchanged VirtualHost
   * objects, in a stable order: the lists before and after share a prefix and a suffix of the very
   * same objects, whose indexes stay as they are (when nothing else they depend on changed), so
   * only the part between is looked at — a pass of pointer comparisons, then work for what changed.
   */
  private patched(prev: ListenerState<R>, l: IRListener, factory: RuleFactory<R>, reuse: RouterReuse<R>, seq: number): ListenerState<R> {
    if (prev.dupes) return this.fresh(l, factory, prev, reuse, seq);
    const cur = l.virtualHosts ?? [];
    const old = prev.l.virtualHosts ?? [];
    const trusted = reuse.allValid && reuse.samePlace(prev.l, l);
    let lo = 0;
    let hiCur = cur.length;
    let hiOld = old.length;
    if (trusted) {
      while (lo < hiCur && lo < hiOld && cur[lo] === old[lo]) lo++;
      while (hiCur > lo && hiOld > lo && cur[hiCur - 1] === old[hiOld - 1]) {
        hiCur--;
        hiOld--;
      }
    }
    const middle: VHostIndex<R>[] = [];
    const add: VHostIndex<R>[] = [];
    const addedHosts = new Set<string>();
    let dupes = false;
    for (let i = lo; i < hiCur; i++) {
      const vh = cur[i]!;
      const known = prev.byVHost.get(vh);
      if (known !== undefined && known.seen === seq) dupes = true; // the same VirtualHost twice
      const idx = this.indexFor(vh, l, factory, prev, reuse, trusted, seq);
      middle.push(idx);
      if (idx === known) continue;
      if (addedHosts.has(vh.hostname)) dupes = true;
      addedHosts.add(vh.hostname);
      add.push(idx);
    }
    const remove: VHostIndex<R>[] = [];
    for (let i = lo; i < hiOld; i++) {
      const idx = prev.byVHost.get(old[i]!);
      if (idx !== undefined && idx.seen !== seq) {
        idx.seen = -seq; // removed by this build
        remove.push(idx);
      }
    }
    // A new index for a hostname an index that stays already has: two virtual hosts for one name.
    for (let i = 0; i < add.length && !dupes; i++) {
      const there = prev.table.get(add[i]!.vh.hostname);
      if (there !== undefined && there.seen !== -seq) dupes = true;
    }
    if (dupes) {
      // Order decides between duplicates: build the table afresh (indexes that stay are reused).
      const keep = (vh: VirtualHost) => {
        const idx = prev.byVHost.get(vh)!;
        idx.seen = seq;
        return idx;
      };
      return new ListenerState(l, [...cur.slice(0, lo).map(keep), ...middle, ...cur.slice(hiCur).map(keep)]);
    }
    for (const idx of remove) this.removed.push(idx.values);
    this.patches.push({ state: prev, l, add, remove });
    return prev;
  }
}
