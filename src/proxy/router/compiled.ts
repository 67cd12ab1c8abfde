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
  private readonly entries: Entry<R>[] = [];
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

export class CompiledRouter<R> implements Router<R> {
  private readonly listeners = new HostTable<{ index: number; vhosts: HostTable<VHostIndex<R>> }>();

  constructor(port: IRPort, factory: RuleFactory<R>) {
    port.listeners.forEach((l, index) => {
      const vhosts = new HostTable<VHostIndex<R>>();
      for (const vh of l.virtualHosts ?? []) {
        vhosts.add(vh.hostname, new VHostIndex(vh, (i) => factory(vh.rules[i]!, vh, l)));
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
