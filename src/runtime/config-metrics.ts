// Config-generation metrics: how many configurations were applied, how many failed (translate threw
// or the data plane refused the IR), and how long the last apply took.
import type { Counter, Gauge, Registry } from '../metrics/registry.ts';

export class ConfigMetrics {
  readonly applied: Counter;
  readonly failed: Counter;
  readonly lastApplySeconds: Gauge;
  readonly generation: Gauge;
  readonly invalidObjects: Gauge;

  constructor(registry: Registry) {
    this.applied = registry.counter('wicket_config_applied_total', 'Configurations (IR generations) the data plane accepted and serves.');
    this.failed = registry.counter('wicket_config_failed_total', 'Configuration updates that failed to translate or apply; the previous configuration kept serving.');
    this.lastApplySeconds = registry.gauge('wicket_config_last_apply_duration_seconds', 'Time the last configuration took from snapshot to serving (translate and apply).');
    this.generation = registry.gauge('wicket_config_generation', 'Generation number of the configuration in force (counts applied configurations).');
    this.invalidObjects = registry.gauge('wicket_config_invalid_objects', 'Input diagnostics in the last snapshot (objects left out or kept at their last valid version).');
    // Expose zeros from the start so dashboards and tests see the series before the first event.
    this.applied.inc(0);
    this.failed.inc(0);
    this.lastApplySeconds.set(0);
    this.generation.set(0);
    this.invalidObjects.set(0);
  }
}
