// What the core needs from a front end to answer one request. The HTTP/1.1 front end implements
// it over node:http; an HTTP/2 stream or a raw-socket parser can implement it the same way.
import type { Readable } from 'node:stream';
import type { ResponseHead } from './fast/parse-response.ts';

export interface Downstream {
  /** True when the request carries a body (Content-Length > 0 or Transfer-Encoding). */
  readonly hasBody: boolean;
  /** The request body as a stream with backpressure; call at most once. */
  takeBody(): Readable;
  /** Send the status line and headers (a flat list). */
  respond(status: number, headers: string[], reason?: string): void;
  /** Write a body chunk; false means wait for the exchange's onDrain() before writing more. */
  write(chunk: Buffer): boolean;
  /** Ask for onDrain() once the pending writes have been flushed. */
  waitDrain(): void;
  /** End the response; `trailers` (flat list) are sent where the transport can carry them (HTTP/2). */
  end(body?: string, trailers?: readonly (string | Buffer)[] | null): void;
  /** Abort a response that has started: the client sees a truncated response / reset stream. */
  reset(): void;
  readonly headersSent: boolean;
  /** Ask the front end to close the connection once this response is done. */
  closeAfter(): void;
  /**
   * Optional (the raw-socket front end): send an upstream response head parsed by the fast pool as
   * bytes, hop-by-hop fields left out, instead of `respond()` with strings. Called only when nothing
   * reads or changes the response headers, and only for heads without Connection-named fields.
   */
  relayHead?(head: ResponseHead): void;
  /**
   * Optional (the raw-socket front end): write body bytes the caller will reuse. With `holdable`,
   * true when they were written out at once and are no longer referenced; false when a write still
   * holds them: the caller must not touch that memory before onDrain(), which comes once they are
   * written. Without it the bytes are copied if they must outlive the call, and false means only
   * "wait for onDrain()" (as write()).
   */
  writeBorrowed?(chunk: Buffer, holdable: boolean): boolean;
}

/** Implemented by the core; the front end calls it for events on the client side. */
export interface DownstreamEvents {
  onDrain(): void;
  /** The client went away before the response was complete. */
  onClientAbort(): void;
}
