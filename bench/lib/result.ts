// The shape every scenario reports in: rows of one metric measured on each target (so ratios
// against the peers of the same run can be computed uniformly), checks against the issue's
// targets, and free-form details kept in the JSON.
import type { TargetKind } from '../targets/types.ts';

export interface Row {
  /** What was measured, e.g. "req/s, 64 conns". */
  metric: string;
  unit: string;
  /** Which direction is better, so a reader of the ratios knows what > 1 means. */
  better: 'higher' | 'lower';
  values: Partial<Record<TargetKind, number | null>>;
  /** Targets that could not be measured for this row, with the reason. */
  unavailable?: Partial<Record<TargetKind, string>>;
}

export interface Check {
  /** The target, in words. */
  target: string;
  /** true = met, false = not met, null = could not be evaluated (reason in detail). */
  met: boolean | null;
  detail: string;
}

export interface ScenarioResult {
  name: string;
  title: string;
  rows: Row[];
  checks: Check[];
  /** Error that stopped the scenario early, if any (rows measured before it are kept). */
  error?: string;
  details?: Record<string, unknown>;
  seconds?: number;
  /** 1-minute load average before and after: how busy the shared machine was meanwhile. */
  loadAverage?: { before: number; after: number };
}

export function row(metric: string, unit: string, better: Row['better']): Row {
  return { metric, unit, better, values: {} };
}
