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

export class KubeClient {
  readonly config: KubeConfig;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #watch: Watch;
  #dispatcher: Dispatcher | undefined;

  constructor(config: KubeConfig) {
    this.config = config;
    // The Watch authenticates through the same pooled dispatcher as our requests.
    const pooled = Object.create(config, {
      applySecurityAuthentication: { value: (ctx: RequestContext) => this.#authenticate(ctx) },
    }) as KubeConfig;
    this.#watch = new Watch(pooled);
  }

  /**
   * Applies credentials (headers are computed per request, so rotating bearer tokens keep working)
   * but reuses one connection pool: KubeConfig builds a new undici Agent per request, which means
   * a new TCP connection and TLS handshake for every call and slows status writes down to a
   * crawl on a busy machine. TLS client credentials are therefore read once, on first use.
   */
  async #authenticate(ctx: RequestContext): Promise<void> {
    await this.config.applySecurityAuthentication(ctx);
    const fresh = ctx.getDispatcher();
    if (!fresh) return;
    if (!this.#dispatcher) {
      this.#dispatcher = fresh;
      return;
    }
    ctx.setDispatcher(this.#dispatcher);
    if (fresh !== this.#dispatcher) void fresh.close().catch(() => {});
  }

  /** Closes pooled connections (watches must be stopped first). */
  async close(): Promise<void> {
    const d = this.#dispatcher;
    this.#dispatcher = undefined;
    await d?.close().catch(() => {});
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
    ctx.setSignal(opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout);
    await this.#authenticate(ctx);
    const res = await this.#http.send(ctx).toPromise();
    const text = await res.body.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { message: text };
      }
    }
    return { status: res.httpStatusCode, body };
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
