// Client-side timeouts of fast connections without a timer per connection or per request: one
// coarse interval per front end walks its connections and closes those idle past the keep-alive
// time, or answers 408 to those whose request head has been arriving for too long. A socket
// timeout (socket.setTimeout) would instead re-arm a timer on every read and every write, twice per
// request. Times are read from a clock the sweep itself advances, so a timeout here fires up to
// one tick early or late (a tick is an eighth of the shorter limit, between 25 ms and 1 s).

export interface Sweepable {
  /** Coarse time the connection became idle (no request in flight, nothing buffered). */
  idleSince: number;
  /** Coarse time the first byte of a still incomplete request head arrived, or 0. */
  headSince: number;
  isIdle(): boolean;
  onIdleTimeout(): void;
  onHeadersTimeout(): void;
}

let coarse = Date.now();

/** Milliseconds, updated by the sweeps (and when one starts): free to read on the hot path. */
export function coarseNow(): number {
  return coarse;
}

export class IdleSweep<C extends Sweepable> {
  readonly connections = new Set<C>();
  private readonly timeouts: { keepAliveMs: number; headersMs: number };
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;

  constructor(timeouts: { keepAliveMs: number; headersMs: number }) {
    this.timeouts = timeouts;
  }

  add(c: C): void {
    this.connections.add(c);
    // (Re)started when the limits were shortened since (tests shorten them).
    const every = Math.max(25, Math.min(1000, Math.floor(Math.min(this.timeouts.keepAliveMs, this.timeouts.headersMs) / 8)));
    if (this.timer === null || every < this.tick) {
      if (this.timer !== null) clearInterval(this.timer);
      coarse = Date.now();
      this.tick = every;
      this.timer = setInterval(sweep, every, this);
      this.timer.unref();
    }
  }

  delete(c: C): void {
    this.connections.delete(c);
    if (this.connections.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** One pass (the interval's job; tests may call it). */
  run(): void {
    const now = (coarse = Date.now());
    const { keepAliveMs, headersMs } = this.timeouts;
    for (const c of this.connections) {
      if (c.headSince !== 0) {
        if (now - c.headSince >= headersMs) c.onHeadersTimeout();
      } else if (c.isIdle() && now - c.idleSince >= keepAliveMs) {
        c.onIdleTimeout();
      }
    }
  }
}

function sweep(s: IdleSweep<Sweepable>): void {
  s.run();
}
