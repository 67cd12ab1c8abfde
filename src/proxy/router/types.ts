// The router contract shared by the reference (linear) matcher and the compiled (indexed) one.
// Both are built from one IRPort and a factory that turns each IR rule into whatever the caller
// wants back (the proxy: a compiled rule with its filters and backends; tests: the rule id).
import type { IRListener, RouteRule, VirtualHost } from '../../ir/types.ts';
import type { RequestHead } from '../request-head.ts';

export interface Router<R> {
  /** The rule serving this request, or null (answer 404). */
  match(head: RequestHead): R | null;
  /**
   * Position in the port's listener list of the listener serving this (normalised) host, or -1.
   * HTTPS uses it to detect misdirected requests: SNI and Host must pick the same listener.
   */
  listenerOf(host: string): number;
}

export type RuleFactory<R> = (rule: RouteRule, vhost: VirtualHost, listener: IRListener) => R;
