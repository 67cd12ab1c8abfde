// Installs the peers and the load generator from Debian packages, as the issue asks: the bench
// script brings what it measures against, so any machine of this kind can reproduce the figures.
// apt-get update runs once per bench run, and only when something is missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Tools {
  nginx: string;
  haproxy: string;
  wrk: string;
  /** gnuplot draws the PNG; null when it could not be installed (the JSON is still written). */
  gnuplot: string | null;
}

const BIN = { nginx: '/usr/sbin/nginx', haproxy: '/usr/sbin/haproxy', wrk: '/usr/bin/wrk', gnuplot: '/usr/bin/gnuplot' };

function hasCandidate(pkg: string): boolean {
  try {
    const out = execFileSync('apt-cache', ['policy', pkg], { encoding: 'utf8' });
    const m = /Candidate:\s*(\S+)/.exec(out);
    return m !== null && m[1] !== '(none)';
  } catch {
    return false;
  }
}

function aptInstall(pkgs: string[]): void {
  if (pkgs.length === 0) return;
  console.error(`bench: apt-get install -y ${pkgs.join(' ')}`);
  // Services must not be started by the package scripts: we run our own processes. Debian's
  // policy-rc.d hook (exit 101) is how the package scripts are told so; a machine that already has
  // one keeps it.
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 600_000,
  });
}

export function installTools(): Tools {
  const missing = (Object.keys(BIN) as (keyof typeof BIN)[]).filter((k) => !existsSync(BIN[k]));
  if (missing.length > 0) {
    console.error('bench: apt-get update');
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
    const pkgs: string[] = [];
    if (missing.includes('nginx')) pkgs.push(hasCandidate('nginx-light') ? 'nginx-light' : 'nginx');
    if (missing.includes('haproxy')) pkgs.push('haproxy');
    if (missing.includes('wrk')) pkgs.push('wrk');
    withPolicyRcD(() => aptInstall(pkgs));
    if (missing.includes('gnuplot')) {
      try {
        withPolicyRcD(() => aptInstall(['gnuplot-nox']));
      } catch (e) {
        console.error(`bench: gnuplot could not be installed, no PNG will be drawn: ${(e as Error).message}`);
      }
    }
  }
  for (const k of ['nginx', 'haproxy', 'wrk'] as const) {
    if (!existsSync(BIN[k])) throw new Error(`bench: ${k} is not installed at ${BIN[k]} after apt-get install`);
  }
  return { nginx: BIN.nginx, haproxy: BIN.haproxy, wrk: BIN.wrk, gnuplot: existsSync(BIN.gnuplot) ? BIN.gnuplot : null };
}

const POLICY = '/usr/sbin/policy-rc.d';

/** Runs fn with a policy-rc.d that forbids starting services; removes it after if we created it. */
function withPolicyRcD(fn: () => void): void {
  if (existsSync(POLICY)) return fn();
  execFileSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${POLICY} && chmod 755 ${POLICY}`]);
  try {
    fn();
  } finally {
    execFileSync('rm', ['-f', POLICY]);
  }
}
