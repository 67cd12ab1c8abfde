// RequestMirror: fire-and-forget copy of the request (method, target and headers as edited by the
// filters before this one, and the body as it streams) to one endpoint of a cluster; the response
// is read and thrown away. A mirror that falls behind is dropped; it never slows the client.
import { PassThrough, Writable, type Readable } from 'node:stream';
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

const MIRROR_TIMEOUT_MS = 30_000;

/** Largest amount of request body a mirror may lag behind before it is abandoned. */
export const MIRROR_MAX_LAG = 1024 * 1024;

/**
 * Feeds a mirror's request body from the client's body without ever pushing back: when the
 * mirror cannot keep up (more than MIRROR_MAX_LAG buffered) it is abandoned, never the client.
 */
class MirrorTap extends Writable {
  private readonly out: PassThrough;
  constructor(out: PassThrough) {
    super();
    this.out = out;
    // pipe() does not pass on a source that is destroyed (client gone): abandon the mirror then.
    this.once('pipe', (src: Readable) => src.once('close', () => this.sourceClosed()));
  }

  private sourceClosed(): void {
    if (!this.writableEnded && !this.out.destroyed) this.out.destroy();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.out.destroyed) {
      if (this.out.writableLength > MIRROR_MAX_LAG) this.out.destroy();
      else this.out.write(chunk);
    }
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    if (!this.out.destroyed) this.out.end();
    cb();
  }
}

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
    let body: PassThrough | null = null;
    if (out.hasBody) {
      body = new PassThrough();
      body.on('error', ignore);
      (out.taps ??= []).push(new MirrorTap(body));
    }
    try {
      ep.pool.dispatch(
        {
          path: out.target,
          method: head.method,
          headers,
          body,
          servername: this.cluster.servername ?? undefined,
          // Nobody waits for a mirror's answer; do not let a silent backend hold a connection.
          headersTimeout: MIRROR_TIMEOUT_MS,
          bodyTimeout: MIRROR_TIMEOUT_MS,
        } as Parameters<
          typeof ep.pool.dispatch
        >[0],
        DISCARD as unknown as Parameters<typeof ep.pool.dispatch>[1],
      );
    } catch {
      // A mirror never affects the primary request.
    }
  }
}

function ignore(): void {}
