// The printed report: one table per scenario with every target side by side and Wicket's ratios
// against the peers of the same run, then the issue's targets as met / not met.
import type { ScenarioResult, Row } from './result.ts';
import { ratio } from './stats.ts';

const COLS = ['direct', 'nginx', 'haproxy', 'wicket'] as const;

function fmt(v: number | null | undefined, unavailable?: string): string {
  if (v === undefined) return '';
  if (v === null) return unavailable ? 'unavail.' : '—';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(v === Math.round(v) ? 0 : 3);
}

export function ratios(r: Row): { nginx: number | null; haproxy: number | null; direct: number | null } {
  const w = r.values.wicket;
  return { nginx: ratio(w, r.values.nginx), haproxy: ratio(w, r.values.haproxy), direct: ratio(w, r.values.direct) };
}

function pad(s: string, n: number, left = false): string {
  return left ? s.padEnd(n) : s.padStart(n);
}

export function renderScenario(s: ScenarioResult): string {
  const took = s.seconds !== undefined ? ` (${s.seconds} s${s.loadAverage ? `, load ${s.loadAverage.before} → ${s.loadAverage.after}` : ''})` : '';
  const out: string[] = [`\n== ${s.name}: ${s.title}${took}`];
  if (s.error) out.push(`   ERROR: ${s.error}`);
  const w0 = Math.max(28, ...s.rows.map((r) => r.metric.length + r.unit.length + 3));
  const head = [pad('metric', w0, true), ...COLS.map((c) => pad(c, 10)), pad('W÷nginx', 8), pad('W÷haprx', 8), pad('W÷direct', 9)];
  out.push(head.join(' '));
  for (const r of s.rows) {
    const q = ratios(r);
    out.push(
      [
        pad(`${r.metric} (${r.unit})`, w0, true),
        ...COLS.map((c) => pad(fmt(r.values[c], r.unavailable?.[c]), 10)),
        pad(fmt(q.nginx), 8),
        pad(fmt(q.haproxy), 8),
        pad(fmt(q.direct), 9),
      ].join(' '),
    );
  }
  const reasons = new Map<string, string>();
  for (const r of s.rows) for (const [k, v] of Object.entries(r.unavailable ?? {})) if (v && !reasons.has(k)) reasons.set(k, v);
  for (const [k, v] of reasons) out.push(`   ${k} unavailable: ${v.slice(0, 400)}`);
  return out.join('\n');
}

export function renderChecks(all: ScenarioResult[]): string {
  const out = ['\n== targets'];
  for (const s of all) {
    for (const c of s.checks) {
      const mark = c.met === true ? 'MET    ' : c.met === false ? 'NOT MET' : 'n/a    ';
      out.push(`  [${mark}] ${c.target} — ${c.detail}`);
    }
  }
  return out.join('\n');
}
