// RequestMirror: fire-and-forget copy of the request (method, target and headers as edited by the
// filters before this one) to one endpoint of a cluster; the response is read and thrown away.
// The body is not mirrored (it streams once, to the primary backend), so the copy carries none.
import { removeHeader } from '../headers.ts';
import type { RequestHead } from '../request-head.ts';
import type { ClusterRuntime } from '../upstream/cluster.ts';
import type { Outgoing, RequestStep } from './types.ts';

/** Stateless, so one handler object serves every mirrored request. */
const DISCARD = {
  onConnect(): void {},
  onHeaders(): boolean {
    return true;
  },
  onData(): boolean {
    return true;
  },
  onComplete(): void {},
  onError(): void {},
};

export class RequestMirror implements RequestStep {
  private readonly cluster: ClusterRuntime;
  private readonly numerator: number;
  private readonly denominator: number;
  private readonly random: () => number;

  constructor(cluster: ClusterRuntime, fraction: { numerator: number; denominator: number }, random: () => number = Math.random) {
    this.cluster = cluster;
    this.numerator = fraction.numerator;
    this.denominator = fraction.denominator > 0 ? fraction.denominator : 100;
    this.random = random;
  }

  onRequest(head: RequestHead, out: Outgoing): void {
    if (this.numerator < this.denominator && this.random() * this.denominator >= this.numerator) return;
    const ep = this.cluster.pick();
    if (ep === undefined) return;
    const headers = out.headers.slice();
    removeHeader(headers, 'content-length');
    try {
      ep.pool.dispatch(
        { path: out.target, method: head.method, headers, body: null, servername: this.cluster.servername ?? undefined } as Parameters<
          typeof ep.pool.dispatch
        >[0],
        DISCARD as unknown as Parameters<typeof ep.pool.dispatch>[1],
      );
    } catch {
      // A mirror never affects the primary request.
    }
  }
}
