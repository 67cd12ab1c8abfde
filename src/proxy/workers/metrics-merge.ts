// /metrics with worker processes: each worker pushes its registry's Prometheus text; the primary
// serves its own registry's text merged with theirs. Samples with the same name and labels are
// summed (counters, histogram buckets, sums and counts, and the data plane's gauges, which count
// connections and requests in flight, so a sum is the process-wide figure); families keep their
// HELP/TYPE once, in the order first seen. Parsing the text keeps this independent of the
// registry's internals: it only needs `expose()`.
import { Registry } from '../../metrics/registry.ts';

interface Family {
  help: string | null;
  type: string | null;
  /** Series key (the sample line up to the value) → value, in first-seen order. */
  samples: Map<string, number>;
}

/** The family a sample belongs to: histogram `_bucket`/`_sum`/`_count` lines belong to their base. */
function familyOf(sampleName: string, families: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.get(base)?.type === 'histogram') return base;
    }
  }
  return sampleName;
}

function family(families: Map<string, Family>, name: string): Family {
  let f = families.get(name);
  if (f === undefined) {
    f = { help: null, type: null, samples: new Map() };
    families.set(name, f);
  }
  return f;
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function formatValue(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

/** Adds one exposition's samples into `families`. Lines it cannot read are skipped. */
function addText(families: Map<string, Family>, text: string): void {
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      if (sp <= 0) continue;
      const f = family(families, rest.slice(0, sp));
      if (line[2] === 'H') f.help ??= rest.slice(sp + 1);
      else f.type ??= rest.slice(sp + 1);
      continue;
    }
    if (line.startsWith('#')) continue;
    // The value follows the last space (label values are escaped, but may contain spaces).
    const sp = line.lastIndexOf(' ');
    if (sp <= 0) continue;
    const key = line.slice(0, sp);
    const brace = key.indexOf('{');
    const name = brace < 0 ? key : key.slice(0, brace);
    const f = family(families, familyOf(name, families));
    f.samples.set(key, (f.samples.get(key) ?? 0) + parseValue(line.slice(sp + 1)));
  }
}

/** Merges Prometheus text expositions (0.0.4) by summing identical series. */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  for (const t of texts) addText(families, t);
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== null) out.push(`# HELP ${name} ${f.help}`);
    if (f.type !== null) out.push(`# TYPE ${name} ${f.type}`);
    for (const [key, v] of f.samples) out.push(`${key} ${formatValue(v)}`);
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

/**
 * What the admin server is given as its registry in multi-worker mode: `expose()` is the primary's
 * registry merged with the latest text of every worker (at most one push interval old).
 */
export class MergedRegistry extends Registry {
  private readonly own: Registry;
  private readonly workers: () => readonly string[];

  constructor(own: Registry, workers: () => readonly string[]) {
    super();
    this.own = own;
    this.workers = workers;
  }

  // Anything registered through this view lands in the primary's registry.
  override counter(...a: Parameters<Registry['counter']>): ReturnType<Registry['counter']> {
    return this.own.counter(...a);
  }
  override gauge(...a: Parameters<Registry['gauge']>): ReturnType<Registry['gauge']> {
    return this.own.gauge(...a);
  }
  override histogram(...a: Parameters<Registry['histogram']>): ReturnType<Registry['histogram']> {
    return this.own.histogram(...a);
  }

  override expose(): string {
    return mergeExpositions([this.own.expose(), ...this.workers()]);
  }
}
