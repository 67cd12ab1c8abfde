// A small Prometheus registry: counters, gauges and histograms with labels, and the text
// exposition format (version 0.0.4). No dependencies, no allocation on the hot path once a label
// set has been seen: callers ask for a child once (`counter.labels(...)`) and keep it.
//
// A data plane with thousands of routes knows thousands of label sets of which a few see traffic,
// so a child can also be deferred (`family.deferred(...)`): the caller keeps it as usual, and it
// joins its family — appears in the exposition and costs a series — on its first update.

export type LabelValues = readonly string[];

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  expose(out: string[]): void;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkNames(name: string, labelNames: readonly string[]): void {
  if (!NAME_RE.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not a valid Prometheus name`);
  for (const l of labelNames) {
    if (!LABEL_RE.test(l) || l.startsWith('__')) {
      throw new Error(`metric ${name}: label name ${JSON.stringify(l)} is not a valid Prometheus label name`);
    }
  }
}

/** Renders `{a="x",b="y"}` (or '' without labels); `extra` adds e.g. `le`. */
function labelString(names: readonly string[], values: LabelValues, extra?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function startsWith(values: LabelValues, prefix: readonly string[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (values[i] !== prefix[i]) return false;
  return true;
}

/** The identity of a label set within a family, for `retainOnly`. */
export function labelKey(values: LabelValues): string {
  return values.join('\u0000');
}

/** Where a deferred child goes on its first update. */
interface Joinable<C> {
  join(values: LabelValues, child: C): void;
}

/**
 * One exposed label set. `more` holds further children of the same label set: deferred children
 * created before any of them was used (two rules of one route, say) each count, and the exposition
 * adds them up.
 */
interface Series<C> {
  values: LabelValues;
  child: C;
  more?: C[];
}

abstract class Family<C> implements Metric, Joinable<C> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  protected readonly children = new Map<string, Series<C>>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    checkNames(name, labelNames);
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** A new child; `pending` makes it a deferred one that joins `pending.family` when first updated. */
  protected abstract make(pending: Pending<C> | null): C;

  private checkArity(values: readonly string[]): void {
    if (values.length !== this.labelNames.length) {
      throw new Error(`metric ${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    }
  }

  /** The child for these label values (created on first use). Keep it: lookups cost a join. */
  labels(...values: string[]): C {
    this.checkArity(values);
    const key = labelKey(values);
    let entry = this.children.get(key);
    if (entry === undefined) {
      entry = { values: values.slice(), child: this.make(null) };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /**
   * The child for these label values, without exposing the series until the child is first
   * updated: the series that exists already when there is one, otherwise a child that joins the
   * family on its first update. Keep it, as with `labels`.
   */
  deferred(...values: string[]): C {
    this.checkArity(values);
    const entry = this.children.get(labelKey(values));
    return entry !== undefined ? entry.child : this.make({ family: this, values });
  }

  /** Called by a deferred child on its first update. */
  join(values: LabelValues, child: C): void {
    const key = labelKey(values);
    const entry = this.children.get(key);
    if (entry === undefined) this.children.set(key, { values, child });
    else if (entry.child !== child && !entry.more?.includes(child)) (entry.more ??= []).push(child);
  }

  /**
   * Forget a label set (e.g. a route that no longer exists). Given fewer values than the family
   * has labels, forget every label set that starts with them (a route's series of every status
   * class, say).
   */
  remove(...values: string[]): void {
    if (values.length >= this.labelNames.length) {
      this.children.delete(labelKey(values));
      return;
    }
    for (const [key, series] of this.children) if (startsWith(series.values, values)) this.children.delete(key);
  }

  /**
   * Forget every label set whose key (see `labelKey`) is not in `keep`, or, with `prefix`, whose
   * first `prefix` values' key is not.
   */
  retainOnly(keep: ReadonlySet<string>, prefix?: number): void {
    for (const [key, series] of this.children) {
      const k = prefix === undefined ? key : labelKey(series.values.slice(0, prefix));
      if (!keep.has(k)) this.children.delete(key);
    }
  }

  abstract expose(out: string[]): void;

  /** One sample line per label set, for families whose children hold a single `value`. */
  protected exposeValues(this: Family<{ value: number }>, out: string[]): void {
    this.header(out);
    for (const { values, child, more } of this.children.values()) {
      let value = child.value;
      if (more !== undefined) for (const c of more) value += c.value;
      out.push(`${this.name}${labelString(this.labelNames, values)} ${formatNumber(value)}`);
    }
  }

  protected header(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
  }
}

/** A deferred child's family and label values, until its first update. */
export interface Pending<C> {
  readonly family: Joinable<C>;
  readonly values: LabelValues;
}

export class CounterChild {
  value = 0;
  /** Set while the child is deferred (see `Family.deferred`). */
  private pending: Pending<CounterChild> | null;
  constructor(pending: Pending<CounterChild> | null = null) {
    this.pending = pending;
  }
  inc(n = 1): void {
    if (this.pending !== null) joinNow(this);
    this.value += n;
  }
}

export class Counter extends Family<CounterChild> {
  readonly type = 'counter' as const;
  protected make(pending: Pending<CounterChild> | null): CounterChild {
    return new CounterChild(pending);
  }
  inc(n = 1): void {
    this.labels().inc(n);
  }
  expose(out: string[]): void {
    this.exposeValues(out);
  }
}

export class GaugeChild {
  value = 0;
  /** Set while the child is deferred (see `Family.deferred`). */
  private pending: Pending<GaugeChild> | null;
  constructor(pending: Pending<GaugeChild> | null = null) {
    this.pending = pending;
  }
  set(v: number): void {
    if (this.pending !== null) joinNow(this);
    this.value = v;
  }
  inc(n = 1): void {
    if (this.pending !== null) joinNow(this);
    this.value += n;
  }
  dec(n = 1): void {
    if (this.pending !== null) joinNow(this);
    this.value -= n;
  }
}

export class Gauge extends Family<GaugeChild> {
  readonly type = 'gauge' as const;
  protected make(pending: Pending<GaugeChild> | null): GaugeChild {
    return new GaugeChild(pending);
  }
  set(v: number): void {
    this.labels().set(v);
  }
  inc(n = 1): void {
    this.labels().inc(n);
  }
  dec(n = 1): void {
    this.labels().dec(n);
  }
  expose(out: string[]): void {
    this.exposeValues(out);
  }
}

const NO_COUNTS = new Float64Array(0);

export class HistogramChild {
  readonly bounds: readonly number[];
  /** Non-cumulative counts per bucket; the last slot is +Inf. Empty while the child is deferred. */
  counts: Float64Array;
  sum = 0;
  count = 0;
  /** Set while the child is deferred (see `Family.deferred`). */
  private pending: Pending<HistogramChild> | null;
  constructor(bounds: readonly number[], pending: Pending<HistogramChild> | null = null) {
    this.bounds = bounds;
    this.pending = pending;
    // A deferred child may never be used: its buckets are allocated when it joins.
    this.counts = pending === null ? new Float64Array(bounds.length + 1) : NO_COUNTS;
  }
  observe(v: number): void {
    if (this.pending !== null) {
      this.counts = new Float64Array(this.bounds.length + 1);
      joinNow(this);
    }
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/** Seconds, like Prometheus client defaults but with finer low buckets for a proxy. */
export const DEFAULT_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram extends Family<HistogramChild> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = DEFAULT_LATENCY_BUCKETS) {
    super(name, help, labelNames);
    if (labelNames.includes('le')) throw new Error(`metric ${name}: histograms may not use the label name "le"`);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.some((b, i) => i > 0 && b === sorted[i - 1])) throw new Error(`metric ${name}: duplicate bucket bounds`);
    this.buckets = sorted;
  }
  protected make(pending: Pending<HistogramChild> | null): HistogramChild {
    return new HistogramChild(this.buckets, pending);
  }
  observe(v: number): void {
    this.labels().observe(v);
  }
  expose(out: string[]): void {
    this.header(out);
    for (const { values, child, more } of this.children.values()) {
      const all = more === undefined ? [child] : [child, ...more];
      let cumulative = 0;
      let sum = 0;
      let count = 0;
      for (const c of all) {
        sum += c.sum;
        count += c.count;
      }
      for (let i = 0; i <= this.buckets.length; i++) {
        for (const c of all) cumulative += c.counts[i]!;
        const le = i < this.buckets.length ? formatNumber(this.buckets[i]!) : '+Inf';
        out.push(`${this.name}_bucket${labelString(this.labelNames, values, `le="${le}"`)} ${formatNumber(cumulative)}`);
      }
      out.push(`${this.name}_sum${labelString(this.labelNames, values)} ${formatNumber(sum)}`);
      out.push(`${this.name}_count${labelString(this.labelNames, values)} ${formatNumber(count)}`);
    }
  }
}

/** A deferred child's first update: it joins its family, and is an ordinary child from then on. */
function joinNow(child: CounterChild | GaugeChild | HistogramChild): void {
  const c = child as unknown as { pending: Pending<unknown> | null };
  const p = c.pending!;
  c.pending = null;
  p.family.join(p.values, child);
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  private add<M extends Metric>(m: M): M {
    const existing = this.metrics.get(m.name);
    if (existing !== undefined) {
      // Registering the same metric twice (e.g. two data planes in one process) returns the first
      // one when it has the same shape; a clash of shapes is a programming error.
      if (existing.type === m.type && sameLabels(existing, m)) return existing as M;
      throw new Error(`metric ${m.name} is already registered with a different type or labels`);
    }
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Prometheus text exposition, `text/plain; version=0.0.4`. */
  expose(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) m.expose(out);
    return out.length === 0 ? '' : out.join('\n') + '\n';
  }
}

function sameLabels(a: Metric, b: Metric): boolean {
  const la = (a as Family<unknown>).labelNames;
  const lb = (b as Family<unknown>).labelNames;
  return la.length === lb.length && la.every((l, i) => l === lb[i]);
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The process-wide registry that /metrics serves. Tests may create their own. */
export const defaultRegistry = new Registry();
