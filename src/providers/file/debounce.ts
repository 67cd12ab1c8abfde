// Coalesces change events into reloads, without putting a wait on the path of a lone change.
//
// - An event that says a file appeared, vanished or was renamed into place (`trigger(true)`) is
//   acted on at once — on the next turn of the event loop, so the events of one operation, which
//   arrive together, make one reload. Renaming a finished file into place is how editors, kubelet
//   (ConfigMap `..data` swaps) and careful tools write, and such a file is complete when seen.
// - An event that says a file was written in place (`trigger()`) may come from the middle of a
//   write, so it waits for a quiet window of `quietMs` (never more than `maxDelayMs` after the
//   burst began, so a steady storm of writes still converges). A half-written file that does not
//   parse keeps its last good objects in any case (see provider.ts), and the next event re-reads.
// - A reload never overlaps another: events during one are coalesced into one more reload, after
//   a quiet window (they are a burst).
export interface Debouncer {
  /** Note that something changed; `atOnce` for a file created, removed or renamed into place. */
  trigger(atOnce?: boolean): void;
  /** Resolves once no reload is running or pending. */
  idle(): Promise<void>;
  close(): void;
}

export function debounce(run: () => Promise<void>, quietMs: number, maxDelayMs: number): Debouncer {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let burstStart = 0;
  let running: Promise<void> | undefined;
  let pending = false;
  /** Some event during the running reload was a rename or creation: follow up at once. */
  let pendingAtOnce = false;
  let closed = false;

  const fire = () => {
    timer = undefined;
    immediate = undefined;
    running = run()
      .catch(() => {}) // run() reports its own errors; a failed reload must not stop later ones
      .finally(() => {
        running = undefined;
        if (pending && !closed) {
          pending = false;
          burstStart = Date.now();
          if (pendingAtOnce) immediate = setImmediate(fire);
          else timer = setTimeout(fire, quietMs);
          pendingAtOnce = false;
        }
      });
  };

  const trigger = (atOnce = false) => {
    if (closed || immediate) return; // a reload is due on this turn already: it will see this change
    if (running) {
      pending = true;
      pendingAtOnce ||= atOnce;
      return;
    }
    if (atOnce) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      immediate = setImmediate(fire);
      return;
    }
    if (timer) clearTimeout(timer);
    else burstStart = Date.now();
    timer = setTimeout(fire, Math.max(0, Math.min(quietMs, burstStart + maxDelayMs - Date.now())));
  };

  return {
    trigger,
    async idle() {
      // Bounded: each round either finds nothing to wait for or waits for one reload.
      for (let i = 0; i < 100 && (timer || immediate || running); i++) {
        if (running) await running;
        else await new Promise((r) => setTimeout(r, immediate ? 0 : quietMs));
      }
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      timer = undefined;
      immediate = undefined;
    },
  };
}
