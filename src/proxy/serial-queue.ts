// Runs tasks one at a time, in the order they were queued: both data planes (in process and the
// worker pool) apply configurations this way, so a newer IR never overtakes an older one.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `task` after every task queued before; its result (or failure) is the caller's. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Settles once every task queued so far has finished (never rejects). */
  idle(): Promise<unknown> {
    return this.tail;
  }
}
