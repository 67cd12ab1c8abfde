// One request through the proxy, from the matched rule to the last byte of the response. The
// Exchange is the only per-request object of the core: it is its own undici dispatch handler
// (no closures per request), runs the filter plan, picks backend and endpoint, applies timeouts
// and retries, streams the response with backpressure, and reports metrics and the access log.
// Imported, not the globals: Node defines globalThis.Buffer, performance and process as getters,
// which optimized code calls on every use (a load-global IC miss each time on the hot path).
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { PassThrough, type Readable } from 'node:stream';
import { ErrorCodes, WicketError } from '../errors.ts';
import { enabled, logger } from '../log.ts';
import type { Downstream, DownstreamEvents } from './downstream.ts';
import type { ResponseHead } from './fast/parse-response.ts';
import { BORROW_DONE, BORROW_HELD, BORROW_PAUSE } from './fast/upstream-pool.ts';
import { grpcErrorResponse, grpcStatusIn, isGrpcRequest } from './grpc/status.ts';
import type { FilterPlan, LocalResponse, Outgoing } from './filters/types.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import type { RequestHead } from './request-head.ts';
import type { BackendRuntime, RuleRuntime } from './rule.ts';
import type { ClusterRuntime, EndpointRuntime } from './upstream/cluster.ts';
import { classify, CONNECT, INVALID_BACKEND, NO_ENDPOINTS, TIMEOUT, type Failure } from './upstream/failure.ts';

/** Per data plane facts the exchange needs (metrics sink, access log switch). */
export interface ExchangeEnv {
  accessLog: boolean;
  onUpstreamError(backend: string, code: string): void;
  requestDone(): void;
}

// Exchange states (plain numbers: enums are not erasable syntax).
const State = { Routing: 0, Waiting: 1, Streaming: 2, Done: 3 } as const;
type State = (typeof State)[keyof typeof State];

const REQUEST_TIMEOUT = new WicketError(ErrorCodes.UPSTREAM_TIMEOUT, 'request timeout');
const BACKEND_TIMEOUT = new WicketError(ErrorCodes.UPSTREAM_TIMEOUT, 'backend request timeout');
const CLIENT_ABORT = new Error('client aborted the request');
const LATE_START = new Error('request already answered');

/** Largest request body kept in memory so that a request can be retried. */
export const RETRY_BODY_LIMIT = 64 * 1024;

/** Content-Length of the request, or -1 when absent (chunked) or unreadable. */
function declaredLength(head: RequestHead): number {
  const raw = head.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === 14 && n.toLowerCase() === 'content-length') {
      const v = Number(raw[i + 1]);
      return Number.isSafeInteger(v) && v >= 0 ? v : -1;
    }
  }
  return -1;
}

function collectBody(x: Exchange, stream: Readable, length: number): void {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= length) chunks.push(c);
  });
  stream.once('end', () => x.bodyCollected(Buffer.concat(chunks, Math.min(size, length))));
  stream.once('error', () => {});
}

function onRequestTimeout(x: Exchange): void {
  x.requestTimer = null;
  x.expired = true;
  x.abortAttempt(REQUEST_TIMEOUT);
}

function onAttemptTimeout(x: Exchange): void {
  x.attemptTimer = null;
  x.abortAttempt(BACKEND_TIMEOUT);
}

function onBackoffDone(x: Exchange): void {
  x.backoffTimer = null;
  if (x.state !== State.Done) x.dispatch();
}

export class Exchange implements DownstreamEvents {
  readonly head: RequestHead;
  readonly down: Downstream;
  readonly rule: RuleRuntime;
  readonly env: ExchangeEnv;
  readonly started: number;
  state: State = State.Routing;
  backend: BackendRuntime | null = null;
  cluster: ClusterRuntime | null = null;
  endpoint: EndpointRuntime | null = null;
  /** The endpoint the request's session is pinned to (session persistence), if any. */
  sessionEndpoint: EndpointRuntime | null = null;
  plan: FilterPlan;
  out: Outgoing | null = null;
  status = 0;
  /** grpc-status of a gRPC rule's answer (headers, trailers, or our own), for the access log. */
  grpcStatus: string | null = null;
  attempt = 0;
  expired = false;
  discarding = false;
  body: Readable | null = null;
  /** Whether the request body was taken from the front end (then it may still be arriving). */
  bodyTaken = false;
  /** A request body read whole so retries can resend it (small bodies on rules with retries). */
  replayable: Buffer | null = null;
  abortFn: ((err?: Error) => void) | null = null;
  resumeFn: (() => void) | null = null;
  requestTimer: NodeJS.Timeout | null = null;
  attemptTimer: NodeJS.Timeout | null = null;
  backoffTimer: NodeJS.Timeout | null = null;

  constructor(head: RequestHead, down: Downstream, rule: RuleRuntime, env: ExchangeEnv) {
    this.head = head;
    this.down = down;
    this.rule = rule;
    this.env = env;
    this.plan = rule.plan;
    this.started = performance.now();
  }

  /** Run filters, choose a backend, forward. */
  run(): void {
    const rule = this.rule;
    if (rule.backends.size > 0) {
      let b: BackendRuntime;
      const pinned = rule.session === null ? null : rule.session.lookup(this.head, rule.backendList);
      if (pinned !== null) {
        b = pinned.backend;
        this.sessionEndpoint = pinned.endpoint;
      } else {
        b = rule.backends.pick()!;
      }
      this.backend = b;
      this.plan = b.plan;
      if (b.cluster === null) return this.fail(INVALID_BACKEND, null);
    }
    const responders = this.plan.responders;
    for (let i = 0; i < responders.length; i++) {
      const r = responders[i]!.respond(this.head, rule.listener);
      if (r !== null) return this.local(r);
    }
    if (this.backend === null) return this.fail(INVALID_BACKEND, null);
    this.cluster = this.backend.cluster;

    const head = this.head;
    const out: Outgoing = {
      // The head carries the forwarding facts itself (no object made for them).
      headers: upstreamRequestHeaders(head.rawHeaders, head),
      target: head.target,
      matchedPath: head.path,
      hasBody: this.down.hasBody,
      taps: null,
    };
    const steps = this.plan.requestSteps;
    for (let i = 0; i < steps.length; i++) steps[i]!.onRequest(head, out);
    this.out = out;

    if (rule.requestTimeoutMs > 0) this.requestTimer = setTimeout(onRequestTimeout, rule.requestTimeoutMs, this);
    if (this.down.hasBody && rule.retry !== null && out.taps === null) {
      // A small body is read whole first, so a retry can send it again.
      const length = declaredLength(head);
      if (length >= 0 && length <= RETRY_BODY_LIMIT) {
        this.bodyTaken = true;
        return collectBody(this, this.down.takeBody(), length);
      }
    }
    if (this.down.hasBody) {
      this.bodyTaken = true;
      let body = this.down.takeBody();
      if (out.taps !== null) {
        // Mirrors read the same bytes; both pipes attach now so neither misses a chunk, and only
        // the primary request applies backpressure (taps drop themselves when they fall behind).
        const primary = new PassThrough();
        body.pipe(primary);
        for (const tap of out.taps) body.pipe(tap);
        body = primary;
      }
      this.body = body;
    }
    this.dispatch();
  }

  /** The whole (small) request body has arrived: send it, and keep it for retries. */
  bodyCollected(body: Buffer): void {
    if (this.state === State.Done) return;
    this.replayable = body;
    this.dispatch();
  }

  dispatch(): void {
    // A session's endpoint serves its first attempt; retries spread like any other request.
    const ep = this.attempt === 0 && this.sessionEndpoint !== null ? this.sessionEndpoint : this.cluster!.pick();
    if (ep === undefined) return this.fail(NO_ENDPOINTS, null);
    this.endpoint = ep;
    this.state = State.Waiting;
    this.discarding = false;
    this.attempt++;
    if (this.rule.backendTimeoutMs > 0) this.attemptTimer = setTimeout(onAttemptTimeout, this.rule.backendTimeoutMs, this);
    const out = this.out!;
    try {
      ep.pool.dispatch(
        {
          path: out.target,
          method: this.head.method,
          headers: out.headers,
          body: this.replayable ?? this.body,
          servername: this.cluster!.servername ?? undefined,
          // Nothing but the strict parser's output and our forwarding headers (see RequestHead.checked).
          checked: this.head.checked && this.plan.requestSteps.length === 0,
        } as Parameters<typeof ep.pool.dispatch>[0],
        this,
      );
    } catch (err) {
      this.onError(err as Error);
    }
  }

  abortAttempt(reason: Error): void {
    if (this.state === State.Done) return;
    if (this.abortFn !== null) this.abortFn(reason);
    else this.onError(reason);
  }

  // --- undici dispatch handler -------------------------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    // Answered already (e.g. a timeout while the request waited for a connection): the request
    // must not go out now, or its response would hold the upstream connection forever.
    if (this.state === State.Done) return abort(LATE_START);
    this.abortFn = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[], resume: () => void, statusText: string): boolean {
    if (this.state === State.Done) return false;
    if (statusCode < 200) return true; // 1xx: the front end handles 100-continue itself
    const retry = this.rule.retry;
    if (retry !== null && retry.codes.has(statusCode) && this.canRetry()) {
      this.discarding = true;
      return true;
    }
    this.resumeFn = resume;
    this.status = statusCode;
    const headers = downstreamResponseHeaders(rawHeaders);
    if (this.rule.grpc) this.grpcStatus = grpcStatusIn(headers);
    const steps = this.plan.responseSteps;
    for (let i = 0; i < steps.length; i++) steps[i]!.onResponse(this.head, statusCode, headers);
    const session = this.rule.session;
    if (session !== null && this.endpoint !== this.sessionEndpoint) session.stamp(headers, this.backend!.name, this.endpoint!);
    this.state = State.Streaming;
    try {
      this.down.respond(statusCode, headers, statusText);
    } catch (err) {
      // Header values undici accepted but node:http refuses (e.g. control characters).
      this.state = State.Waiting;
      this.abortAttempt(new WicketError(ErrorCodes.UPSTREAM_RESET, `invalid response header: ${(err as Error).message}`));
      return false;
    }
    return true;
  }

  /**
   * The fast pool's parsed head: relayed as bytes when no filter, gRPC status, session cookie or
   * retry needs the headers as strings and the front end can (FastResponse); otherwise onHeaders().
   */
  onRawHeaders(head: ResponseHead, resume: () => void): boolean {
    const status = head.status;
    const retry = this.rule.retry;
    if (
      this.down.relayHead === undefined ||
      head.connectionTokens ||
      head.untidy ||
      this.plan.responseSteps.length > 0 ||
      this.rule.grpc ||
      this.rule.session !== null ||
      (retry !== null && retry.codes.has(status))
    ) {
      return this.onHeaders(status, head.rawHeaders, resume, head.reason);
    }
    if (this.state === State.Done) return false;
    this.resumeFn = resume;
    this.status = status;
    this.state = State.Streaming;
    this.down.relayHead(head);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.discarding) return true;
    if (this.state !== State.Streaming) return false;
    if (this.down.write(chunk)) return true;
    this.down.waitDrain();
    return false;
  }

  /**
   * Body bytes lent by the fast pool (its read buffer): written as they are when the front end can
   * say whether the write still holds them (FastResponse), else copied into onData.
   */
  onBorrowedData(chunk: Buffer, holdable: boolean): number {
    if (this.discarding) return BORROW_DONE;
    if (this.state !== State.Streaming) return BORROW_PAUSE;
    const down = this.down;
    if (down.writeBorrowed === undefined) return this.onData(Buffer.copyBytesFrom(chunk)) ? BORROW_DONE : BORROW_PAUSE;
    if (down.writeBorrowed(chunk, holdable)) return BORROW_DONE;
    // Held by a write (or, when it may not be held, pushed back): no more until onDrain().
    return holdable ? BORROW_HELD : BORROW_PAUSE;
  }

  onComplete(trailers: (string | Buffer)[] | null): void {
    this.clearAttempt();
    if (this.state === State.Done) return;
    if (this.discarding) return this.retryLater();
    if (this.rule.grpc && trailers !== null) this.grpcStatus = grpcStatusIn(trailers) ?? this.grpcStatus;
    this.down.end(undefined, trailers);
    this.finish();
  }

  onError(err: Error): void {
    this.clearAttempt();
    if (this.state === State.Done) return;
    const failure = this.expired ? TIMEOUT : classify(err);
    this.env.onUpstreamError(this.backend?.name ?? '', failure.code);
    if (this.state === State.Streaming) {
      // Headers are out: the only honest thing left is to cut the response short.
      this.down.reset();
      this.finish();
      return;
    }
    if (!this.expired && this.canRetry() && (failure === CONNECT || this.rule.retry!.codes.has(failure.status))) {
      return this.retryLater();
    }
    this.fail(failure, err);
  }

  // --- downstream events --------------------------------------------------------------------

  onDrain(): void {
    const r = this.resumeFn;
    if (r !== null && this.state === State.Streaming) r();
  }

  onClientAbort(): void {
    if (this.state === State.Done) return;
    if (this.status === 0) this.status = 499;
    const abort = this.abortFn;
    this.finish();
    if (abort !== null) abort(CLIENT_ABORT);
  }

  // --- helpers ---------------------------------------------------------------------------------

  private canRetry(): boolean {
    const retry = this.rule.retry;
    // A streamed request body cannot be replayed: only requests without one, or with a small
    // one read whole (`replayable`), are retried.
    return retry !== null && this.attempt <= retry.attempts && this.body === null;
  }

  private retryLater(): void {
    this.abortFn = null;
    this.resumeFn = null;
    this.state = State.Waiting;
    const backoff = this.rule.retry!.backoffMs;
    if (backoff > 0) this.backoffTimer = setTimeout(onBackoffDone, backoff, this);
    else this.dispatch();
  }

  private clearAttempt(): void {
    if (this.attemptTimer !== null) {
      clearTimeout(this.attemptTimer);
      this.attemptTimer = null;
    }
  }

  private fail(f: Failure, cause: Error | null): void {
    if (cause !== null && f !== NO_ENDPOINTS) {
      logger.debug('upstream failure', { route: this.rule.id, backend: this.backend?.name, code: f.code, error: cause });
    }
    this.local({ status: f.status, headers: [], body: '' });
  }

  /** Answer at the gateway (redirect, CORS preflight, errors). */
  local(r: LocalResponse): void {
    if (this.state === State.Done) return;
    // gRPC clients read grpc-status, not HTTP statuses: errors become trailers-only answers.
    if (r.status >= 400 && (this.rule.grpc || isGrpcRequest(this.head))) {
      r = grpcErrorResponse(r.status);
      this.grpcStatus = grpcStatusIn(r.headers);
    }
    this.status = r.status;
    const headers = r.headers.slice();
    if (r.body.length > 0) headers.push('content-type', 'text/plain; charset=utf-8');
    headers.push('content-length', String(Buffer.byteLength(r.body)));
    const steps = this.plan.responseSteps;
    for (let i = 0; i < steps.length; i++) steps[i]!.onResponse(this.head, r.status, headers);
    // The request body may still be arriving; closing keeps us from reading an unbounded body.
    if (this.down.hasBody && this.bodyTaken) this.down.closeAfter();
    this.down.respond(r.status, headers);
    this.down.end(r.body);
    this.finish();
  }

  private finish(): void {
    if (this.state === State.Done) return;
    this.state = State.Done;
    this.abortFn = null;
    this.resumeFn = null;
    if (this.requestTimer !== null) clearTimeout(this.requestTimer);
    if (this.attemptTimer !== null) clearTimeout(this.attemptTimer);
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    const seconds = (performance.now() - this.started) / 1000;
    const rule = this.rule;
    (this.backend !== null ? this.backend.counters : rule.counters).count(this.status);
    rule.duration.observe(seconds);
    this.env.requestDone();
    // The fields object is built only when an access line will really be written.
    if (this.env.accessLog && enabled('info')) accessLog(this, seconds);
  }
}

function accessLog(x: Exchange, seconds: number): void {
  const fields: Record<string, unknown> = {
    method: x.head.method,
    host: x.head.authority,
    path: x.head.path,
    status: x.status,
    route: x.rule.id,
    backend: x.backend?.name ?? null,
    endpoint: x.endpoint?.label ?? null,
    duration_ms: Math.round(seconds * 1e6) / 1e3,
    listener: x.rule.listener.name,
  };
  // gRPC answers are HTTP 200 whatever happened: their status is in grpc-status.
  if (x.grpcStatus !== null) fields.grpc_status = x.grpcStatus;
  logger.info('access', fields);
}
