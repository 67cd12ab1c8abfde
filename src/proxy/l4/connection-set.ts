// The open client connections of one layer-4 server, so close() can wait for them to finish and
// then, at the deadline, cut the ones still open.

import type { Duplex } from 'node:stream';

export class ConnectionSet {
  /** Each open socket with its 'close' listener (so release() can remove it). */
  private readonly open = new Map<Duplex, () => void>();
  private waiters: (() => void)[] = [];

  add(sock: Duplex): void {
    const onClose = () => this.release(sock);
    this.open.set(sock, onClose);
    sock.once('close', onClose);
  }

  /** Stops tracking a socket (closed, or handed to another owner). */
  release(sock: Duplex): void {
    const onClose = this.open.get(sock);
    if (onClose === undefined) return;
    sock.removeListener('close', onClose);
    this.open.delete(sock);
    if (this.open.size === 0) this.wake();
  }

  get size(): number {
    return this.open.size;
  }

  /** Resolves when every connection has closed, destroying the rest after `deadlineMs`. */
  drain(deadlineMs: number): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.open.keys()) s.destroy();
      }, Math.max(0, deadlineMs));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
