// The IR as sent to a worker process: what the worker already holds goes as a reference. The
// translator hands out the same objects for the unchanged parts of successive IRs (listeners,
// virtual hosts, rules, clusters), so after the first apply a change of one route sends that
// route's virtual host and references for the rest, and the worker rebuilds an IR whose unchanged
// parts are its very own previous objects: its compile then reuses them by identity (patching a
// host table instead of rebuilding every router), as the in-process data plane does.
//
// The encoder (primary, one per worker process) numbers objects and remembers which numbers it
// sent; the decoder (worker) keeps every object it was sent by number. Both forget everything
// together, every RESET_EVERY messages (the message then carries the IR in full and says so), so
// neither keeps objects of old IRs for long. A worker that finds a reference it does not hold
// reports it (WICKET_ERR_IR_REFERENCE) and is sent the IR in full.
import { ErrorCodes, WicketError } from '../../errors.ts';
import type { Cluster, IR, IRListener, IRPort, RouteRule, VirtualHost } from '../../ir/types.ts';

/** An object sent before (`r`), or sent now with its number (`d`, children encoded likewise). */
type Node<T> = { r: number } | { d: number; v: T };

interface EncodedListener extends Omit<IRListener, 'virtualHosts'> {
  virtualHosts?: Node<EncodedVHost>[];
}
interface EncodedVHost extends Omit<VirtualHost, 'rules'> {
  rules: Node<RouteRule>[];
}

export interface EncodedIR {
  version: IR['version'];
  /** The decoder forgets what it holds before reading this (the IR comes in full). */
  full: boolean;
  ports: (Omit<IRPort, 'listeners'> & { listeners: Node<EncodedListener>[] })[];
  clusters: [string, Node<Cluster>][];
}

const RESET_EVERY = 200;

/** Object numbers, shared by every encoder: a number always means the same (immutable) object. */
const numbers = new WeakMap<object, number>();
let lastNumber = 0;
const numberOf = (o: object): number => {
  let n = numbers.get(o);
  if (n === undefined) numbers.set(o, (n = ++lastNumber));
  return n;
};

export class IrEncoder {
  #sent = new Set<number>();
  #messages = 0;

  /** Forget what the worker holds (a new process). */
  reset(): void {
    this.#sent = new Set();
    this.#messages = 0;
  }

  encode(ir: IR): EncodedIR {
    const full = this.#messages++ % RESET_EVERY === 0;
    if (full) this.#sent = new Set();
    const node = <T extends object, E>(o: T, inner: (o: T) => E): Node<E> => {
      const n = numberOf(o);
      if (this.#sent.has(n)) return { r: n };
      this.#sent.add(n);
      return { d: n, v: inner(o) };
    };
    const rule = (r: RouteRule) => r;
    const vhost = (vh: VirtualHost): EncodedVHost => ({ ...vh, rules: vh.rules.map((r) => node(r, rule)) });
    const listener = (l: IRListener): EncodedListener => (l.virtualHosts === undefined ? { ...l, virtualHosts: undefined } : { ...l, virtualHosts: l.virtualHosts.map((vh) => node(vh, vhost)) });
    return {
      version: ir.version,
      full,
      ports: ir.ports.map((p) => ({ ...p, listeners: p.listeners.map((l) => node(l, listener)) })),
      clusters: Object.entries(ir.clusters).map(([name, c]) => [name, node(c, (x) => x)]),
    };
  }
}

export class IrReferenceError extends WicketError {
  constructor(message: string) {
    super(ErrorCodes.IR_REFERENCE, message);
  }
}

export class IrDecoder {
  #held = new Map<number, object>();

  decode(e: EncodedIR): IR {
    if (e.full) this.#held = new Map();
    const held = this.#held;
    const node = <E, T extends object>(x: Node<E>, inner: (v: E) => T): T => {
      if ('r' in x) {
        const o = held.get(x.r);
        if (o === undefined) throw new IrReferenceError(`IR from the primary refers to object ${x.r}, which this worker does not hold`);
        return o as T;
      }
      const o = inner(x.v);
      held.set(x.d, o);
      return o;
    };
    const vhost = (v: EncodedVHost): VirtualHost => ({ ...v, rules: v.rules.map((r) => node(r, (x) => x)) });
    const listener = (l: EncodedListener): IRListener => {
      const { virtualHosts, ...rest } = l;
      return virtualHosts === undefined ? rest : { ...rest, virtualHosts: virtualHosts.map((vh) => node(vh, vhost)) };
    };
    const clusters: Record<string, Cluster> = {};
    for (const [name, c] of e.clusters) clusters[name] = node(c, (x) => x);
    return { version: e.version, ports: e.ports.map((p) => ({ ...p, listeners: p.listeners.map((l) => node(l, listener)) })), clusters };
  }
}
