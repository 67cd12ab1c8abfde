// The common tail of every layer-4 stream connection once its backend is chosen: connect to the
// endpoint, splice the two sockets, count it; or, when the endpoint cannot be reached, reset the
// client (the spec's "reject the connection").

import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Cluster, Endpoint } from '../../ir/types.ts';
import { enabled, logger } from '../../log.ts';
import { connectUpstream } from './upstream.ts';
import { reset, splice } from './splice.ts';
import type { ConnLabels, L4Metrics, L4RejectReason } from './metrics.ts';

export interface ForwardContext {
  metrics: L4Metrics;
  connectTimeoutMs?: number;
}

export interface ForwardTarget {
  cluster: Cluster;
  endpoint: Endpoint;
  /** Originate TLS to the endpoint (TLS Terminate listeners with a BackendTLSPolicy). */
  reencrypt: boolean;
}

/**
 * Connects `client` to the target. `raw` is the TCP socket under `client` when `client` is a TLS
 * socket. Bytes the client sends meanwhile wait in its socket buffer (bounded by its high-water
 * mark, then TCP flow control).
 */
export function forward(client: Duplex, target: ForwardTarget, labels: ConnLabels, ctx: ForwardContext, raw?: net.Socket): void {
  (raw ?? (client as net.Socket)).setNoDelay?.(true); // relay small writes (handshakes, prompts) at once
  const early = () => {}; // errors before the splice: the close handler below covers them
  client.on('error', early);
  connectUpstream(target.endpoint, {
    timeoutMs: ctx.connectTimeoutMs,
    tls: target.reencrypt ? target.cluster.tls : undefined,
  }).then(
    (upstream) => {
      client.removeListener('error', early);
      if (client.destroyed || (raw !== undefined && raw.destroyed)) {
        upstream.destroy();
        return;
      }
      const m = ctx.metrics.conn(labels);
      m.opened();
      splice(client, upstream, (d) => m.closed(d.bytesIn, d.bytesOut), raw);
    },
    (err: unknown) => {
      client.removeListener('error', early);
      rejectConnection(raw ?? client, labels, 'connect-failed', ctx.metrics, err);
    },
  );
}

/** Refuses a connection: counts it, logs it at debug, and resets the socket. */
export function rejectConnection(sock: Duplex, labels: ConnLabels, reason: L4RejectReason, metrics: L4Metrics, detail?: unknown): void {
  metrics.reject(labels, reason);
  if (enabled('debug')) logger.debug('l4 connection rejected', { reason, ...labels, ...(detail === undefined ? {} : { error: detail }) });
  reset(sock);
}
