// The reference matcher: a plain first-match scan over the IR's ordered lists. Slow and obviously
// right; the compiled router must return exactly what this returns (test/proxy/router-contract).
import type { IRPort } from '../../ir/types.ts';
import type { RequestHead } from '../request-head.ts';
import { hostMatches } from './host-match.ts';
import { conditionsOf, fullMatchRegExp, pathMatches, type Conditions } from './rule-match.ts';
import type { Router, RuleFactory } from './types.ts';

interface RefRule<R> {
  path: { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
  re: RegExp | null;
  cond: Conditions;
  value: R;
}

interface RefVHost<R> {
  hostname: string;
  rules: RefRule<R>[];
}

interface RefListener<R> {
  hostname: string | undefined;
  vhosts: RefVHost<R>[];
}

export class ReferenceRouter<R> implements Router<R> {
  private readonly listeners: RefListener<R>[];

  constructor(port: IRPort, factory: RuleFactory<R>) {
    this.listeners = port.listeners.map((l) => ({
      hostname: l.hostname,
      vhosts: (l.virtualHosts ?? []).map((vh) => ({
        hostname: vh.hostname,
        rules: vh.rules.map((rule) => ({
          path: rule.match.path,
          re: rule.match.path.type === 'RegularExpression' ? fullMatchRegExp(rule.match.path.value, `rule ${rule.id}: path`) : null,
          cond: conditionsOf(rule.match, rule.id),
          value: factory(rule, vh, l),
        })),
      })),
    }));
  }

  /** The rule values of each virtual host, listener by listener. */
  valueLists(): R[][] {
    return this.listeners.flatMap((l) => l.vhosts.map((v) => v.rules.map((r) => r.value)));
  }

  listenerOf(host: string): number {
    return this.listeners.findIndex((l) => hostMatches(l.hostname, host));
  }

  match(head: RequestHead): R | null {
    const listener = this.listeners.find((l) => hostMatches(l.hostname, head.host));
    if (listener === undefined) return null;
    const vhost = listener.vhosts.find((v) => hostMatches(v.hostname, head.host));
    if (vhost === undefined) return null;
    const rule = vhost.rules.find((r) => pathMatches(r.path, r.re, head.path) && r.cond.test(head));
    return rule === undefined ? null : rule.value;
  }
}
