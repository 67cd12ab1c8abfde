// Backend clusters at run time: the endpoints of each IR cluster with a keep-alive connection
// pool each, and the smooth weighted round robin that spreads requests over them. Pools are kept
// in a registry keyed by endpoint and TLS settings, so an apply() that keeps an endpoint keeps its
// warm connections; pools nobody uses any more are closed gracefully.
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';

/**
 * undici's Pool class from its own module: `import { Pool } from 'undici'` loads the whole package
 * (fetch, WebSocket, mocks, cache: ~190 ms of CPU at every start, against ~70 ms for the pool
 * alone). It is the very class the package exports; test/proxy/upstream.test.ts checks that, so an
 * undici upgrade that moves it fails a test instead of a start.
 */
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof import('undici').Pool;
type Pool = import('undici').Pool;
import type { Cluster } from '../../ir/types.ts';
import { fastPathEnabled } from '../fast/index.ts';
import { FastPool } from '../fast/upstream-pool.ts';
import { SmoothWeightedRoundRobin } from './balancer.ts';
import { H2Upstream } from './h2-client.ts';
import { tlsKey, upstreamConnectOptions, type UpstreamConnectOptions } from './tls.ts';

/**
 * How long an idle upstream connection is kept for reuse when the backend does not say
 * (`Keep-Alive: timeout=N`, which is honoured, less a second, where it is shorter). Long, as nginx's
 * upstream keepalive_timeout (60 s): traffic that pauses for a few seconds must not pay for new
 * connections when it resumes (at 4 s, every burst after a pause opened its connections again, 64
 * at once under 64 clients). A backend that closes sooner is seen closing an idle connection (its
 * FIN) and that connection leaves the pool; an idempotent request that meets a close at the very
 * moment of reuse is sent again on a new connection (fast/upstream-pool.ts).
 */
export const UPSTREAM_IDLE_MS = 60_000;

export interface EndpointRuntime {
  readonly address: string;
  readonly port: number;
  /** `address:port`, for logs and metrics. */
  readonly label: string;
  /** Keep-alive pool (HTTP/1.1) or one multiplexed HTTP/2 cleartext connection (h2c). */
  readonly pool: Dispatcher;
}

export class ClusterRuntime {
  readonly name: string;
  readonly protocol: Cluster['protocol'];
  readonly endpoints: EndpointRuntime[];
  /** SNI to send, or null for plain text. */
  readonly servername: string | null;
  /** TLS settings for raw connections (upgrades), or null for plain text. */
  readonly tls: UpstreamConnectOptions | null;
  private readonly rr: SmoothWeightedRoundRobin<EndpointRuntime>;

  constructor(cluster: Cluster, pools: PoolRegistry) {
    this.name = cluster.name;
    this.protocol = cluster.protocol;
    this.servername = cluster.tls?.serverName ?? null;
    this.tls = cluster.tls ? upstreamConnectOptions(cluster.tls) : null;
    this.endpoints = cluster.endpoints.map((e) => pools.endpoint(e.address, e.port, cluster));
    this.rr = new SmoothWeightedRoundRobin(
      cluster.endpoints.map((e, i) => ({ item: this.endpoints[i]!, weight: e.weight })),
    );
  }

  /** Next endpoint by weight; undefined when the cluster has none (answer 503). */
  pick(): EndpointRuntime | undefined {
    return this.rr.next();
  }

  /** The endpoint with this `address:port` label and a positive weight (session persistence). */
  find(label: string): EndpointRuntime | undefined {
    return this.rr.has((e) => e.label === label);
  }
}

/**
 * Plain-text HTTP/1.1 endpoints get the raw keep-alive pool (fast/upstream-pool.ts) in front of
 * undici: it serves body-less requests itself and passes everything else to the undici Pool.
 */
function withFastPool(pool: Pool, address: string, port: number, cluster: Cluster, t: { keepAliveTimeout: number; connectTimeout: number }): Dispatcher {
  if (cluster.tls || cluster.protocol !== 'http1' || !fastPathEnabled()) return pool;
  return new FastPool(pool, { address, port, keepAliveTimeoutMs: t.keepAliveTimeout, connectTimeoutMs: t.connectTimeout }) as unknown as Dispatcher;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface PoolOptions {
  /** Idle keep-alive time for upstream connections. */
  keepAliveTimeoutMs?: number;
  /** Connect timeout. */
  connectTimeoutMs?: number;
}

export class PoolRegistry {
  private readonly pools = new Map<string, EndpointRuntime>();
  private used = new Set<string>();
  private readonly options: PoolOptions;

  constructor(options: PoolOptions = {}) {
    this.options = options;
  }

  /** Start collecting which pools the next configuration uses. */
  beginGeneration(): void {
    this.used = new Set();
  }

  endpoint(address: string, port: number, cluster: Cluster): EndpointRuntime {
    const label = hostPort(address, port);
    const key = `${label}|${cluster.protocol}|${tlsKey(cluster.tls)}`;
    this.used.add(key);
    let ep = this.pools.get(key);
    if (ep === undefined) {
      const scheme = cluster.tls ? 'https' : 'http';
      const common = {
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? UPSTREAM_IDLE_MS,
        connectTimeout: this.options.connectTimeoutMs ?? 10_000,
        // Timeouts are the proxy's own (route timeouts); undici's defaults would cut long streams.
        headersTimeout: 0,
        bodyTimeout: 0,
      };
      // h2c (and h2c over TLS, ALPN h2) through our own HTTP/2 client: it relays trailers
      // without losing body bytes (see h2-client.ts); it takes the same dispatch() calls.
      const pool: Dispatcher =
        cluster.protocol === 'h2c'
          ? (new H2Upstream({
              address,
              port,
              ...(cluster.tls ? { tls: upstreamConnectOptions(cluster.tls) } : {}),
              connectTimeoutMs: common.connectTimeout,
              keepAliveTimeoutMs: common.keepAliveTimeout,
            }) as unknown as Dispatcher)
          : withFastPool(
              new Pool(`${scheme}://${label}`, {
                ...common,
                ...(cluster.tls ? { connect: upstreamConnectOptions(cluster.tls) } : {}),
              }),
              address,
              port,
              cluster,
              common,
            );
      ep = { address, port, label, pool };
      this.pools.set(key, ep);
    }
    return ep;
  }

  /** Close (gracefully: in-flight requests finish) every pool the last generation did not use. */
  sweep(): void {
    for (const [key, ep] of this.pools) {
      if (!this.used.has(key)) {
        this.pools.delete(key);
        ep.pool.close().catch(() => {});
      }
    }
  }

  /**
   * Close every pool: gracefully (requests in flight finish) unless `force`, and in any case
   * destroyed after `graceMs`, so a request that never ends (a stalled mirror) cannot hold a
   * shutdown forever.
   */
  async closeAll(force = false, graceMs = 2_000): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      all.map(async (ep) => {
        if (!force) {
          let timer: NodeJS.Timeout | undefined;
          const closed = await Promise.race([
            ep.pool.close().then(() => true, () => true),
            new Promise<boolean>((r) => (timer = setTimeout(r, graceMs, false))),
          ]);
          clearTimeout(timer);
          if (closed) return;
        }
        await ep.pool.destroy().catch(() => {});
      }),
    );
  }
}
