// The compiled router: hash lookups and a path trie instead of scans. Listeners and virtual hosts
// are found through HostTables; inside a virtual host, candidate rules come from an exact-path map,
// a trie of PathPrefix elements and a short list of regular-expression rules. Each candidate list
// is sorted by rule position, and the lowest position whose conditions hold wins — the same answer
// as a first-match scan over the ordered rules (the reference matcher), found without visiting
// rules whose path cannot match.
import type { IRPort, VirtualHost } from '../../ir/types.ts';
import type { RequestHead } from '../request-head.ts';
import { HostTable } from './host-match.ts';
import { Conditions, fullMatchRegExp, normalisePrefix } from './rule-match.ts';
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

const NO_MATCH = 0x7fffffff;

class VHostIndex<R> {
  readonly entries: Entry<R>[] = [];
  private readonly exact = new Map<string, number[]>();
  private readonly trie = new TrieNode();
  private readonly regex: number[] = [];

  constructor(vh: VirtualHost, make: (i: number) => R) {
    vh.rules.forEach((rule, i) => {
      const p = rule.match.path;
      const where = `rule ${rule.id}`;
      this.entries.push({
        cond: new Conditions(rule.match, where),
        re: p.type === 'RegularExpression' ? fullMatchRegExp(p.value, `${where}: path`) : null,
        value: make(i),
      });
      if (p.type === 'Exact') {
        let list = this.exact.get(p.value);
        if (list === undefined) this.exact.set(p.value, (list = []));
        list.push(i);
      } else if (p.type === 'PathPrefix') {
        let node = this.trie;
        for (const seg of normalisePrefix(p.value).split('/')) {
          if (seg.length > 0) node = node.child(seg);
        }
        (node.rules ??= []).push(i);
      } else {
        this.regex.push(i);
      }
    });
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
 * Indexes of virtual hosts built by past routers, by the VirtualHost object they were built from.
 * The translator hands out the same VirtualHost object while its rules are unchanged, so the next
 * router reuses those indexes instead of rebuilding every one. Weakly held: an index lives as long
 * as its VirtualHost does.
 */
export class VHostIndexes<R> {
  readonly byVHost = new WeakMap<VirtualHost, VHostIndex<R>[]>();
}

/** Indexes kept per VirtualHost (one per port or listener serving it, usually one). */
const MAX_INDEXES_PER_VHOST = 4;

export class CompiledRouter<R> implements Router<R> {
  private readonly listeners = new HostTable<{ index: number; vhosts: HostTable<VHostIndex<R>> }>();

  /**
   * `reuse`: indexes of past routers. One is reused only for the same VirtualHost object when the
   * factory turns its rules into the very values the index holds, so what a request matches is
   * exactly what a fresh build would give.
   */
  constructor(port: IRPort, factory: RuleFactory<R>, reuse?: VHostIndexes<R>) {
    port.listeners.forEach((l, index) => {
      const vhosts = new HostTable<VHostIndex<R>>();
      for (const vh of l.virtualHosts ?? []) {
        // The factory is called once per rule either way (it also marks what is in use).
        const values = vh.rules.map((rule) => factory(rule, vh, l));
        const known = reuse?.byVHost.get(vh);
        let idx = known?.find((x) => x.entries.length === values.length && values.every((v, i) => v === x.entries[i]!.value));
        if (idx === undefined) {
          idx = new VHostIndex(vh, (i) => values[i]!);
          if (reuse !== undefined) reuse.byVHost.set(vh, [idx, ...(known ?? []).slice(0, MAX_INDEXES_PER_VHOST - 1)]);
        }
        vhosts.add(vh.hostname, idx);
      }
      this.listeners.add(l.hostname, { index, vhosts });
    });
  }

  listenerOf(host: string): number {
    return this.listeners.lookup(host)?.index ?? -1;
  }

  match(head: RequestHead): R | null {
    const l = this.listeners.lookup(head.host);
    if (l === undefined) return null;
    const vh = l.vhosts.lookup(head.host);
    return vh === undefined ? null : vh.match(head);
  }
}
