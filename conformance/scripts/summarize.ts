// Prints the short summary of a conformance run: passed/failed/skipped per profile
// (core and extended) from the suite's report, and the failing tests by name from the
// per-test results. Written to stdout; run.sh also saves it as reports/summary.txt.
// Usage: node summarize.ts --report report.yaml --results results.txt --suite-exit N --log suite.log
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

const { values: a } = parseArgs({ options: {
  report: { type: 'string' }, results: { type: 'string' }, 'suite-exit': { type: 'string', default: '0' }, log: { type: 'string' },
} });

const results = existsSync(a.results!) ? readFileSync(a.results!, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')) : [];
const count = (s: string) => results.filter(([r]) => r === s).length;
const out: string[] = [];
out.push(`Gateway API conformance summary (suite exit code ${a['suite-exit']})`);
out.push(`tests run: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`);

type Status = { result?: string; statistics?: { Passed?: number; Failed?: number; Skipped?: number }; failedTests?: string[] };
const line = (label: string, s: Status | undefined) => {
  if (!s) return;
  const st = s.statistics ?? {};
  out.push(`  ${label.padEnd(9)} ${String(s.result ?? '?').padEnd(8)} passed ${st.Passed ?? 0}, failed ${st.Failed ?? 0}, skipped ${st.Skipped ?? 0}`);
};
if (a.report && existsSync(a.report)) {
  const report = parse(readFileSync(a.report, 'utf8'));
  out.push(`report: ${a.report} (gateway-api ${report.gatewayAPIVersion}, ${report.gatewayAPIChannel} channel)`);
  for (const p of report.profiles ?? []) {
    out.push(`${p.name}:`);
    line('core', p.core);
    line('extended', p.extended);
  }
} else {
  out.push('no report was written (the suite stopped before its report; see the log)');
}

const failed = results.filter(([r]) => r === 'FAIL').map(([, n]) => n);
if (failed.length) out.push(`failing tests:\n${failed.map((n) => `  - ${n}`).join('\n')}`);
if (!results.length && a.log && existsSync(a.log)) {
  // Nothing ran: show why (usually setup: GatewayClass, base Pods or Gateways not ready).
  const tail = readFileSync(a.log, 'utf8').split('\n').filter((l) => /Error|FAIL|fail|timed out|not ready/i.test(l)).slice(-8);
  out.push(`no test ran; last errors in ${a.log}:`, ...tail.map((l) => `  ${l.trim().slice(0, 200)}`));
}
// Plain closing line that CI log readers understand.
out.push(`conformance: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`);
console.log(out.join('\n'));
