// `npm run bench [-- --quick] [-- --scenario NAME[,NAME]]`: installs the peers from Debian, runs
// every scenario against direct / nginx / HAProxy / Wicket on loopback in one run, prints one table
// per scenario with Wicket's ratios against the peers and the issue's targets as met / not met,
// and writes bench/results/<date>-<machine>.json and a PNG drawn from it.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, setPriority } from 'node:os';
import { join } from 'node:path';
import { installTools } from './lib/install.ts';
import { takeLock } from './lib/lock.ts';
import { describeMachine, resultName } from './lib/machine.ts';
import { closeAgent } from './lib/net.ts';
import { markdownSummary } from './lib/markdown.ts';
import { plot } from './lib/plot.ts';
import { killAllSync, stopAll } from './lib/proc.ts';
import type { ScenarioResult } from './lib/result.ts';
import { round } from './lib/stats.ts';
import { renderChecks, renderScenario, ratios } from './lib/table.ts';
import { runBodies } from './scenarios/bodies.ts';
import { runChurn } from './scenarios/churn.ts';
import type { Context } from './scenarios/context.ts';
import { runConvergence } from './scenarios/convergence.ts';
import { runConvergenceK8s } from './scenarios/convergence-k8s.ts';
import { runLadder } from './scenarios/ladder.ts';
import { runMicro } from './scenarios/micro.ts';
import { runThroughput } from './scenarios/throughput.ts';
import { REPO, useWicketRef } from './lib/wicket-tree.ts';

const SCENARIOS: Record<string, { about: string; run: (ctx: Context) => Promise<ScenarioResult> }> = {
  throughput: { about: 'one route, 1 and 64 conn, nothing pinned, peers on all cores', run: (c) => runThroughput(c, false) },
  pinned: { about: 'one route, 1 and 64 conn, proxy on core 0, backend + wrk on core 1', run: (c) => runThroughput(c, true) },
  ladder: { about: '10 … 10,000 HTTPRoutes: apply time, RSS, req/s, p99', run: runLadder },
  convergence: { about: 'manifest change → first 200 for routes added one at a time', run: runConvergence },
  'convergence-k8s': { about: 'Kubernetes mode: API write → first 200 and → Accepted=True, routes added one at a time', run: runConvergenceK8s },
  churn: { about: 'routes added/removed and a full swap under load: failed requests', run: runChurn },
  bodies: { about: '1 MB and 100 MB bodies up and down: MB/s and RSS growth', run: runBodies },
  micro: { about: 'translate, router compile, route match, header handling (in process)', run: runMicro },
};

const USAGE = `usage: npm run bench [-- --quick] [-- --scenario NAME[,NAME…]] [-- --duration SECONDS] [-- --nice N] [-- --wicket-ref REF]
scenarios:
${Object.entries(SCENARIOS)
  .map(([k, s]) => `  ${k.padEnd(12)} ${s.about}`)
  .join('\n')}`;

function parseArgs(argv: string[]): { quick: boolean; scenarios: string[]; durationS?: number; nice: number; wicketRef?: string } {
  let quick = false;
  let wicketRef: string | undefined;
  let nice = 0;
  const scenarios: string[] = [];
  let durationS: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--scenario' || a.startsWith('--scenario=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error('--scenario needs a name');
      for (const s of v.split(',')) {
        if (!SCENARIOS[s]) throw new Error(`unknown scenario "${s}"\n${USAGE}`);
        scenarios.push(s);
      }
    } else if (a === '--duration') {
      durationS = Number(argv[++i]);
      if (!(durationS > 0 && durationS <= 60)) throw new Error('--duration must be 1–60 seconds');
    } else if (a === '--wicket-ref') {
      wicketRef = argv[++i];
      if (!wicketRef) throw new Error('--wicket-ref needs a git ref (e.g. HEAD)');
    } else if (a === '--nice') {
      nice = Number(argv[++i]);
      if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new Error('--nice must be an integer from -20 to 19');
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  return { quick, scenarios: scenarios.length ? scenarios : Object.keys(SCENARIOS), durationS, nice, wicketRef };
}

/**
 * With the kernel's autogroup scheduling on (the default on most distributions), CPU time is shared
 * fairly between sessions first and by nice only within one: a bench started from one terminal
 * still gets just its share against a build in another, whatever its nice. Setting the nice of the
 * bench's own autogroup too (/proc/self/autogroup, root for negative values) makes --nice count
 * across sessions. The setting belongs to the whole session the bench was started from.
 */
function raiseAutogroup(nice: number): void {
  try {
    writeFileSync('/proc/self/autogroup', String(nice));
  } catch (err) {
    console.error(`bench: could not set the autogroup's nice (${(err as Error).message}); --nice applies within this session only`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const release = takeLock(join(REPO, 'bench', '.work', 'bench.lock'));
  process.once('exit', release);
  const tools = installTools();
  // Every process the bench starts inherits this priority: on a machine shared with other work, a
  // negative value keeps the measured processes from being starved by it (root only).
  if (args.nice !== 0) {
    setPriority(0, args.nice);
    raiseAutogroup(args.nice);
  }
  const machine = describeMachine(tools, REPO);
  // Only this run's own directories are cleared: the lock guarantees no other run is using them.
  const workRoot = join(REPO, 'bench', '.work', 'run');
  rmSync(workRoot, { recursive: true, force: true });
  mkdirSync(workRoot, { recursive: true });
  if (args.wicketRef) {
    const commit = useWicketRef(args.wicketRef, join(REPO, 'bench', '.work', 'wicket-tree'));
    machine.versions.wicketCommit = `${commit.slice(0, 7)} (--wicket-ref ${args.wicketRef})`;
  }
  const ctx: Context = {
    tools,
    quick: args.quick,
    durationS: args.durationS ?? (args.quick ? 2 : 8),
    workRoot,
    cpuCount: availableParallelism(),
    log: (m) => console.error(m),
  };
  console.error(`bench: ${args.quick ? 'quick' : 'full'} run of ${args.scenarios.join(', ')} on ${machine.nproc} × ${machine.cpuModel}, load average ${machine.loadAverageAtStart.join(' ')}`);
  const started = new Date();
  const results: ScenarioResult[] = [];
  const limitMs = (args.quick ? 5 : 12) * 60_000;
  for (const name of args.scenarios) {
    console.error(`bench: scenario ${name}`);
    const t0 = performance.now();
    const loadBefore = loadavg()[0]!;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`scenario exceeded ${limitMs / 60_000} min`)), limitMs);
    });
    let r: ScenarioResult;
    try {
      r = await Promise.race([SCENARIOS[name]!.run(ctx), timeout]);
    } catch (e) {
      // A failed scenario is reported, and its processes ended; the others still run.
      await stopAll();
      r = { name, title: SCENARIOS[name]!.about, rows: [], checks: [], error: (e as Error).stack ?? String(e) };
      console.error(`bench: scenario ${name} failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    r.seconds = Math.round((performance.now() - t0) / 1000);
    r.loadAverage = { before: round(loadBefore, 2)!, after: round(loadavg()[0]!, 2)! };
    results.push(r);
    console.log(renderScenario(r));
  }
  console.log(renderChecks(results));
  const name = resultName(machine, started) + (args.scenarios.length < Object.keys(SCENARIOS).length ? `-${args.scenarios.join('+')}` : '');
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = {
    schema: 'wicket-bench/1',
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: args.quick ? 'quick' : 'full',
    nice: args.nice,
    durationPerPointS: ctx.durationS,
    machine,
    scenarios: results.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r, wicketRatios: ratios(r) })) })),
  };
  const jsonFile = join(dir, `${name}.json`);
  writeFileSync(jsonFile, JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(dir, `${name}.md`), markdownSummary(json, results));
  console.log(`\nbench: results written to ${jsonFile} (summary: ${name}.md)`);
  if (tools.gnuplot) {
    const png = join(dir, `${name}.png`);
    try {
      if (plot(tools.gnuplot, results, workRoot, png, `Wicket bench ${json.mode}, ${machine.nproc} × ${machine.cpuModel}, ${started.toISOString().slice(0, 10)}`)) {
        if (!args.quick && args.scenarios.length === Object.keys(SCENARIOS).length) copyFileSync(png, join(dir, 'latest.png'));
        console.log(`bench: plot written to ${png}`);
      }
    } catch (e) {
      console.error(`bench: plot failed: ${(e as Error).message}`);
    }
  }
}

process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`bench: ${sig}, stopping the processes it started`);
    void stopAll().finally(() => process.exit(130));
  });
}

main()
  .catch((e) => {
    console.error(`bench: ${(e as Error).message ?? e}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    closeAgent();
  });
