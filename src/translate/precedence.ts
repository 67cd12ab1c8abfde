// The spec's precedence between rules of all routes on one listener and hostname:
//   Exact path > RegularExpression > longest PathPrefix (trailing `/` ignored) > has method >
//   more header matches > more query matches > oldest route > route namespace/name > rule order
//   > match order.
// Between two GRPCRoute matches the GRPCRoute order applies instead of the path rules: longest
// service, then longest method, then more header matches, then age, name and rule order.
// (The spec leaves RegularExpression's rank to implementations; Wicket ranks it between Exact
// and prefixes, so a `/` prefix catch-all cannot shadow it.)
import type { RouteMatch } from '../ir/types.ts';

export interface RankedMatch {
  match: RouteMatch;
  /** The route's rank by age (oldest first, then namespace/name), precomputed once. */
  routeOrder: number;
  ruleIndex: number;
  matchIndex: number;
  grpc?: { service: number; method: number };
}

const PATH_RANK = { Exact: 0, RegularExpression: 1, PathPrefix: 2 } as const;

/** Length of a PathPrefix value for precedence, ignoring a trailing slash (`/foo/` ≡ `/foo`). */
export function prefixLength(value: string): number {
  return value.length > 1 && value.endsWith('/') ? value.replace(/\/+$/, '').length || 1 : value.length;
}

export function compareMatches(a: RankedMatch, b: RankedMatch): number {
  if (a.grpc && b.grpc) {
    if (a.grpc.service !== b.grpc.service) return b.grpc.service - a.grpc.service;
    if (a.grpc.method !== b.grpc.method) return b.grpc.method - a.grpc.method;
    if (a.match.headers.length !== b.match.headers.length) return b.match.headers.length - a.match.headers.length;
    return tieBreak(a, b);
  }
  const pa = a.match.path;
  const pb = b.match.path;
  const ra = PATH_RANK[pa.type] ?? 3;
  const rb = PATH_RANK[pb.type] ?? 3;
  if (ra !== rb) return ra - rb;
  const la = pa.type === 'PathPrefix' ? prefixLength(pa.value) : pa.value.length;
  const lb = pb.type === 'PathPrefix' ? prefixLength(pb.value) : pb.value.length;
  if (la !== lb) return lb - la;
  const ma = a.match.method ? 1 : 0;
  const mb = b.match.method ? 1 : 0;
  if (ma !== mb) return mb - ma;
  if (a.match.headers.length !== b.match.headers.length) return b.match.headers.length - a.match.headers.length;
  if (a.match.queryParams.length !== b.match.queryParams.length) return b.match.queryParams.length - a.match.queryParams.length;
  return tieBreak(a, b);
}

function tieBreak(a: RankedMatch, b: RankedMatch): number {
  if (a.routeOrder !== b.routeOrder) return a.routeOrder - b.routeOrder;
  if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
  return a.matchIndex - b.matchIndex;
}
