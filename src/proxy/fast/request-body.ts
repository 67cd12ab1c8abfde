// A request body on a fast connection, as the Readable the Exchange streams upstream. The
// connection pushes the body bytes in as they arrive (Content-Length counted, chunked decoded by
// the strict decoder) and pauses the socket when the consumer pushes back; reading resumes it.
// Destroying it (an upstream attempt failed) only marks it abandoned: the connection then closes
// after its response instead of trying to find the end of a body nobody reads.
//
// The fast upstream pool can instead take the body as a sink (attach()): the bytes then skip the
// Readable and go straight to the upstream socket's write, lent from the client connection's read
// buffer; while a write still holds them (BORROW_HELD) the client is not read, until release().
import { Readable } from 'node:stream';

/** Where an attached body goes (the fast pool's upstream connection). */
export interface BodySink {
  /** Bytes valid during the call only, unless BORROW_HELD is returned (then until release()). */
  onBodyData(chunk: Buffer): number;
  /** The whole body was delivered. */
  onBodyEnd(): void;
}

export class RequestBody extends Readable {
  private readonly onRead: () => void;
  abandoned = false;
  /** Content-Length of the body, or -1 when chunked. */
  readonly length: number;
  /** All of the body has arrived (pushed, or given to the sink). */
  complete = false;
  sink: BodySink | null = null;

  constructor(onRead: () => void, length: number) {
    super({ highWaterMark: 64 * 1024 });
    this.onRead = onRead;
    this.length = length;
  }

  override _read(): void {
    this.onRead();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.abandoned = true;
    this.sink = null;
    cb(err);
  }

  /** Nobody read it as a stream yet: a sink may take it over. */
  get attachable(): boolean {
    return this.sink === null && !this.abandoned && !this.destroyed && this.readableFlowing === null && this.listenerCount('data') === 0 && this.listenerCount('readable') === 0;
  }

  /**
   * From now on the bytes go to `sink`: those already buffered at once, then each as it arrives.
   * Returns what the last delivery returned (BORROW_HELD means wait for release()).
   */
  attach(sink: BodySink): number {
    this.sink = sink;
    // The body is wanted now (a client waiting for 100 Continue is told to send it).
    this.onRead();
    let r = 0;
    const state = this as unknown as { _readableState: { buffer: { length: number } } };
    if (this.readableLength > 0 || state._readableState.buffer.length > 0) {
      const buffered = this.read() as Buffer | null;
      if (buffered !== null && buffered.length > 0) r = sink.onBodyData(buffered);
    }
    if (this.complete && this.sink === sink) sink.onBodyEnd();
    return r;
  }

  /** The sink is gone (its upstream connection closed or answered early): bytes are dropped from now on. */
  detach(): void {
    this.sink = null;
    this.abandoned = true;
  }

  /** The sink no longer holds any bytes lent to it: the connection may read again. */
  release(): void {
    this.onRead();
  }
}
