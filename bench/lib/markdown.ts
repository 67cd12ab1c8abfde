// A Markdown summary of one result file: the headline figures side by side with Wicket's ratios,
// and the targets met / not met. Written next to the JSON so the README's performance section can
// quote a run exactly.
import type { Check, Row, ScenarioResult } from './result.ts';
import { ratios } from './table.ts';

const KINDS = ['direct', 'nginx', 'haproxy', 'wicket'] as const;

function cell(r: Row, k: (typeof KINDS)[number]): string {
  const v = r.values[k];
  if (v === undefined) return '';
  if (v === null) return r.unavailable?.[k] ? 'unavailable' : '—';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return String(Math.round(v * (Math.abs(v) >= 10 ? 10 : 1000)) / (Math.abs(v) >= 10 ? 10 : 1000));
}

function ratio(x: number | null): string {
  if (x === null) return '';
  return `${x !== 0 && Math.abs(x) < 0.1 ? x.toPrecision(2) : x.toFixed(2)}×`;
}

function table(s: ScenarioResult, pick: (r: Row) => boolean): string[] {
  const rows = s.rows.filter(pick);
  if (rows.length === 0) return [];
  const out = [
    `**${s.title}**${s.loadAverage ? ` (load average ${s.loadAverage.before} → ${s.loadAverage.after})` : ''}`,
    '',
    '| metric | direct | nginx | HAProxy | Wicket | W ÷ nginx | W ÷ HAProxy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const q = ratios(r);
    out.push(`| ${r.metric} (${r.unit}) | ${KINDS.map((k) => cell(r, k)).join(' | ')} | ${ratio(q.nginx)} | ${ratio(q.haproxy)} |`);
  }
  out.push('');
  return out;
}

export function markdownSummary(
  meta: { mode: string; startedAt: string; machine: { nproc: number; cpuModel: string; memoryGiB: number; kernel: string; versions: Record<string, string> } },
  all: ScenarioResult[],
): string {
  const m = meta.machine;
  const out = [
    `Run ${meta.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${meta.mode} mode, ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}; ` +
      `Node ${m.versions.node}, nginx ${m.versions.nginx}, ${m.versions.haproxy?.split(' - ')[0]}, ${m.versions.wrk?.split(' Copyright')[0]}, Wicket ${m.versions.wicketCommit}.`,
    '',
  ];
  const pick: Record<string, (r: Row) => boolean> = {
    throughput: (r) => /req\/s|p99/.test(r.metric),
    pinned: (r) => /req\/s|p99/.test(r.metric),
    ladder: (r) => /^(1000|5000|10000) routes: (req\/s|RSS under load|PSS|manifests)/.test(r.metric),
    convergence: (r) => /^(p50|p99|routes never)/.test(r.metric),
    churn: (r) => /req\/s|failed/.test(r.metric),
    bodies: (r) => /100 MB/.test(r.metric),
    micro: (r) => /^(10000 routes|request headers|response headers)/.test(r.metric),
  };
  for (const s of all) {
    if (s.error) out.push(`**${s.name}**: failed — ${s.error.split('\n')[0]}`, '');
    out.push(...table(s, pick[s.name] ?? (() => true)));
  }
  const checks: Check[] = all.flatMap((s) => s.checks);
  if (checks.length) {
    out.push('| target | result | detail |', '| --- | --- | --- |');
    for (const c of checks) out.push(`| ${c.target} | ${c.met === true ? 'met' : c.met === false ? '**not met**' : 'n/a'} | ${c.detail.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return out.join('\n');
}
