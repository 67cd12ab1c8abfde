// A request body on a fast connection, as the Readable the Exchange streams upstream. The
// connection pushes the body bytes in as they arrive (Content-Length counted, chunked decoded by
// the strict decoder) and pauses the socket when the consumer pushes back; reading resumes it.
// Destroying it (an upstream attempt failed) only marks it abandoned: the connection then closes
// after its response instead of trying to find the end of a body nobody reads.
import { Readable } from 'node:stream';

export class RequestBody extends Readable {
  private readonly onRead: () => void;
  abandoned = false;

  constructor(onRead: () => void) {
    super({ highWaterMark: 64 * 1024 });
    this.onRead = onRead;
  }

  override _read(): void {
    this.onRead();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.abandoned = true;
    cb(err);
  }
}
