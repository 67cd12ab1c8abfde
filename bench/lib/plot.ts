// Draws the results PNG with gnuplot (installed from Debian by the bench): four panels read from
// the JSON's rows — per-core throughput, throughput and memory along the route ladder, and
// convergence. Missing values (a target unavailable) are left out of the picture, not drawn as 0.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from './result.ts';

const KINDS = ['direct', 'nginx', 'haproxy', 'wicket'] as const;
const v = (x: number | null | undefined): string => (typeof x === 'number' ? String(x) : '?');

function find(all: ScenarioResult[], name: string): ScenarioResult | undefined {
  return all.find((s) => s.name === name && s.rows.length > 0);
}

/** Returns false when no scenario with a panel was run (no PNG is written). */
export function plot(gnuplot: string, all: ScenarioResult[], workDir: string, pngFile: string, title: string): boolean {
  const panels: string[] = [];
  const pinned = find(all, 'pinned') ?? find(all, 'throughput');
  if (pinned) {
    const rows = ['req/s, 1 conn', 'req/s, 64 conn'].map((m) => pinned.rows.find((r) => r.metric === m));
    const f = join(workDir, 'plot-pinned.dat');
    writeFileSync(f, ['target "1 conn" "64 conn"', ...KINDS.map((k) => `${k} ${rows.map((r) => v(r?.values[k])).join(' ')}`)].join('\n') + '\n');
    panels.push(
      `set title "One route: req/s (${pinned.name})"`,
      'set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1',
      'set ylabel "req/s"; set xlabel ""; unset logscale; set yrange [0:*]; set key top left',
      `plot "${f}" using 2:xtic(1) title col, "" using 3 title col`,
    );
  }
  const ladder = find(all, 'ladder');
  if (ladder) {
    for (const [metric, label] of [
      ['req/s, 64 conn', 'req/s'],
      ['RSS under load', 'RSS MB'],
    ] as const) {
      const rows = ladder.rows.filter((r) => r.metric.endsWith(metric));
      const f = join(workDir, `plot-ladder-${label.replace(/\W/g, '')}.dat`);
      writeFileSync(f, rows.map((r) => `${parseInt(r.metric, 10)} ${['nginx', 'haproxy', 'wicket'].map((k) => v(r.values[k as 'nginx'])).join(' ')}`).join('\n') + '\n');
      panels.push(
        `set title "Route ladder: ${label}"`,
        'set style data linespoints; set logscale x; set xlabel "HTTPRoutes"; set key below',
        `set ylabel "${label}"; set yrange [0:*]`,
        `plot "${f}" using 1:2 title "nginx", "" using 1:3 title "haproxy", "" using 1:4 title "wicket"`,
      );
    }
  }
  const conv = find(all, 'convergence');
  if (conv) {
    const f = join(workDir, 'plot-conv.dat');
    const p50 = conv.rows[0];
    const p99 = conv.rows[1];
    writeFileSync(f, ['target p50 p99', ...(['nginx', 'haproxy', 'wicket'] as const).map((k) => `${k} ${v(p50?.values[k])} ${v(p99?.values[k])}`)].join('\n') + '\n');
    panels.push(
      `set title "Convergence: change → first 200 (${p50?.metric.replace(/^p50, /, '') ?? ''})"`,
      'set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1',
      'unset logscale; set logscale y; set xlabel ""; set ylabel "ms (log)"; set yrange [*:*]; set key top left',
      `plot "${f}" using 2:xtic(1) title col, "" using 3 title col`,
    );
  }
  if (panels.length === 0) return false;
  const script = [
    `set terminal pngcairo size 1400,1000 font "sans,10"`,
    `set output "${pngFile}"`,
    'set datafile missing "?"',
    'set grid ytics',
    `set multiplot layout 2,2 title "${title.replace(/"/g, "'")}"`,
    ...panels,
    'unset multiplot',
  ].join('\n');
  const sf = join(workDir, 'plot.gp');
  writeFileSync(sf, script + '\n');
  execFileSync(gnuplot, [sf], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  return true;
}
