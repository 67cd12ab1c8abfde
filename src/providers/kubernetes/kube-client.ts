// A thin JSON client over @kubernetes/client-node's KubeConfig (auth, TLS, in-cluster config) and
// its Watch (streamed watch events). We talk to the API with raw JSON rather than the generated
// typed clients: those turn timestamps into Date objects and drop fields they do not know, while the
// translator wants objects exactly as the API serves them.
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import { ErrorCodes, WicketError } from '../../errors.ts';

export interface KubeResponse {
  status: number;
  // The API's JSON: an object, a list or a Status. Callers narrow it.
  body: any;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Defaults to application/json; merge patches pass application/merge-patch+json. */
  contentType?: string;
  timeoutMs?: number;
  /** Aborts the request early (a provider stopping mid-list). */
  signal?: AbortSignal;
}

export type WatchEventHandler = (type: string, object: any) => void;

const METHODS: Record<string, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/** Which pool a call goes through: long-lived watch streams, or short requests (lists, writes). */
type Use = 'watch' | 'request';

export class KubeClient {
  readonly config: KubeConfig;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #watch: Watch;
  readonly #dispatchers: Partial<Record<Use, Dispatcher>> = {};

  constructor(config: KubeConfig) {
    this.config = config;
    // The Watch authenticates through a pooled dispatcher of its own.
    const pooled = Object.create(config, {
      applySecurityAuthentication: { value: (ctx: RequestContext) => this.#authenticate(ctx, 'watch') },
    }) as KubeConfig;
    this.#watch = new Watch(pooled);
  }

  /**
   * Applies credentials (headers are computed per request, so rotating bearer tokens keep working)
   * but reuses connection pools: KubeConfig builds a new undici Agent per request, which means a
   * new TCP connection and TLS handshake for every call and slows status writes down to a crawl
   * on a busy machine. TLS client credentials are therefore read once, on first use.
   *
   * Watches and requests get separate pools, so separate connections (undici speaks HTTP/2 to the
   * API server, which would otherwise multiplex everything over one TCP connection): a flood of
   * watch events — thousands of status updates echoed back — never sits in front of a write.
   */
  async #authenticate(ctx: RequestContext, use: Use): Promise<void> {
    await this.config.applySecurityAuthentication(ctx);
    const fresh = ctx.getDispatcher();
    if (!fresh) return;
    const pooled = this.#dispatchers[use];
    if (!pooled) {
      this.#dispatchers[use] = fresh;
      return;
    }
    // The unused fresh Agent holds no connection; closing it would only build an error object.
    ctx.setDispatcher(pooled);
  }

  /** Closes pooled connections (watches must be stopped first). */
  async close(): Promise<void> {
    const ds = Object.values(this.#dispatchers);
    for (const k of Object.keys(this.#dispatchers) as Use[]) delete this.#dispatchers[k];
    await Promise.all(ds.map((d) => d.close().catch(() => {})));
  }

  /** Loads a kubeconfig file, or the in-cluster service account when no path is given. */
  static load(kubeconfig?: string): KubeClient {
    const kc = new KubeConfig();
    try {
      if (kubeconfig) kc.loadFromFile(kubeconfig);
      else kc.loadFromCluster();
    } catch (err) {
      throw new WicketError(
        ErrorCodes.USAGE,
        kubeconfig ? `cannot load kubeconfig ${kubeconfig}: ${(err as Error).message}` : `cannot load in-cluster credentials: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!kc.getCurrentCluster()) {
      throw new WicketError(ErrorCodes.USAGE, `kubeconfig ${kubeconfig ?? '(in-cluster)'} names no current cluster`);
    }
    return new KubeClient(kc);
  }

  #url(path: string, query?: Record<string, string | undefined>): string {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new WicketError(ErrorCodes.KUBE_API, 'no current cluster in kubeconfig');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  /** One request. Network failures throw; HTTP errors come back as a status for the caller to judge. */
  async request(method: keyof typeof METHODS, path: string, opts: RequestOptions = {}): Promise<KubeResponse> {
    const ctx = new RequestContext(this.#url(path, opts.query), METHODS[method]);
    ctx.setHeaderParam('Accept', 'application/json');
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(opts.body));
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    await this.#authenticate(ctx, 'request');
    const dispatcher = ctx.getDispatcher();
    let status: number;
    let text: string;
    if (dispatcher) {
      // undici's request() on the pooled dispatcher: what fetch() does minus the WHATWG Request,
      // Headers and stream machinery, which cost about as much CPU per status write as
      // everything else in Wicket together.
      const url = new URL(ctx.getUrl());
      const res = await dispatcher.request({ origin: url.origin, path: url.pathname + url.search, method, headers: ctx.getHeaders(), body: ctx.getBody() as string | undefined, signal });
      status = res.statusCode;
      text = await res.body.text();
    } else {
      // No TLS settings at all (plain HTTP): the generated client's fetch.
      ctx.setSignal(signal);
      const res = await this.#http.send(ctx).toPromise();
      status = res.httpStatusCode;
      text = await res.body.text();
    }
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { message: text };
      }
    }
    return { status, body };
  }

  /**
   * Starts a watch. `onDone` is called once when the stream ends, with the error if any (HTTP
   * errors carry `statusCode`). Resolves to a controller whose abort() ends the watch.
   */
  watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: WatchEventHandler,
    onDone: (err?: unknown) => void,
  ): Promise<AbortController> {
    const q: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q[k] = v;
    return this.#watch.watch(path, q, onEvent, onDone);
  }
}

/** The message of an API Status body, for logs and errors. */
export function statusMessage(res: KubeResponse): string {
  const b = res.body as { message?: string; reason?: string } | undefined;
  return `HTTP ${res.status}${b?.reason ? ' ' + b.reason : ''}${b?.message ? ': ' + b.message : ''}`;
}
