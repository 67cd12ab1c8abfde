// What scenarios share: the tools, the run mode, a work directory, and one way to start any target
// that turns "could not run" into a reported reason instead of a number.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tools } from '../lib/install.ts';
import { startHaproxy } from '../targets/haproxy.ts';
import { startNginx } from '../targets/nginx.ts';
import { Unavailable, type Target, type TargetKind, type TargetOptions } from '../targets/types.ts';
import { startWicket } from '../targets/wicket.ts';
import type { Row } from '../lib/result.ts';

export interface Context {
  tools: Tools;
  quick: boolean;
  /** Seconds of load per measured point. */
  durationS: number;
  workRoot: string;
  cpuCount: number;
  log(msg: string): void;
}

export function scenarioDir(ctx: Context, name: string): string {
  const dir = join(ctx.workRoot, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts a proxy target (not direct); returns the target or the reason it is unavailable. */
export async function startProxy(ctx: Context, kind: Exclude<TargetKind, 'direct'>, o: TargetOptions): Promise<Target | Unavailable> {
  try {
    if (kind === 'nginx') return await startNginx(ctx.tools.nginx, o);
    if (kind === 'haproxy') return await startHaproxy(ctx.tools.haproxy, o, ctx.cpuCount);
    return await startWicket(o);
  } catch (e) {
    if (e instanceof Unavailable) {
      ctx.log(`  ${kind}: unavailable: ${e.reason.slice(0, 300)}`);
      return e;
    }
    throw e;
  }
}

export function markUnavailable(rows: Row[], kind: TargetKind, reason: string): void {
  for (const r of rows) {
    r.values[kind] = null;
    (r.unavailable ??= {})[kind] = reason;
  }
}

export const PROXIES = ['nginx', 'haproxy', 'wicket'] as const;
