// Coalesces bursts of change events into one reload: the reload runs once events have been quiet
// for `quietMs`, but never later than `maxDelayMs` after the first event of the burst, so a steady
// storm of writes still converges. A reload never overlaps another; events that arrive during a
// reload schedule one more run after it.

export interface Debouncer {
  /** Note that something changed. */
  trigger(): void;
  /** Resolves once no reload is running or pending. */
  idle(): Promise<void>;
  close(): void;
}

export function debounce(run: () => Promise<void>, quietMs: number, maxDelayMs: number): Debouncer {
  let timer: NodeJS.Timeout | undefined;
  let burstStart = 0;
  let running: Promise<void> | undefined;
  let pending = false;
  let closed = false;

  const fire = () => {
    timer = undefined;
    if (running) {
      pending = true;
      return;
    }
    running = run()
      .catch(() => {}) // run() reports its own errors; a failed reload must not stop later ones
      .finally(() => {
        running = undefined;
        if (pending && !closed) {
          pending = false;
          trigger();
        }
      });
  };

  const trigger = () => {
    if (closed) return;
    const now = Date.now();
    if (timer) clearTimeout(timer);
    else burstStart = now;
    const wait = Math.max(0, Math.min(quietMs, burstStart + maxDelayMs - now));
    timer = setTimeout(fire, wait);
  };

  return {
    trigger,
    async idle() {
      // Bounded: each round either finds nothing to wait for or waits for one reload.
      for (let i = 0; i < 100 && (timer || running); i++) {
        if (running) await running;
        else await new Promise((r) => setTimeout(r, quietMs));
      }
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
