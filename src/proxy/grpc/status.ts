// gRPC status at the gateway. A gRPC client does not read HTTP status codes: an error the gateway
// answers itself (no route, no endpoints, invalid backend, timeout) must reach it as a gRPC
// status in a trailers-only response — HTTP 200, `content-type: application/grpc`, and
// `grpc-status` / `grpc-message` in the one HEADERS frame that ends the stream. This file is the
// one place where the gateway's HTTP statuses become gRPC codes.
import type { LocalResponse } from '../filters/types.ts';
import { headerValue, type RequestHead } from '../request-head.ts';

/** The gRPC status codes we answer with (grpc/doc/statuscodes.md). */
export const GrpcCode = {
  OK: 0,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * `application/grpc`, optionally `+proto`/`+json` or with parameters. Not gRPC-Web
 * (`application/grpc-web…`), whose trailers travel in the body and which HTTP/1.1 can carry.
 */
export function isGrpcContentType(ct: string | undefined): boolean {
  if (ct === undefined || ct.length < 16) return false;
  if (ct.slice(0, 16).toLowerCase() !== 'application/grpc') return false;
  if (ct.length === 16) return true;
  const next = ct.charCodeAt(16);
  return next === 43 /* + */ || next === 59 /* ; */ || next === 32 /* space */;
}

export function isGrpcRequest(head: RequestHead): boolean {
  return isGrpcContentType(headerValue(head, 'content-type'));
}

/**
 * The gRPC code for an HTTP status the gateway produced. Follows gRPC's HTTP-to-gRPC mapping
 * (grpc/doc/http-grpc-status-mapping.md), except that the gateway's own failures say what they
 * are: a timeout (504) is DEADLINE_EXCEEDED, and no endpoints (503) or an invalid backend (500)
 * is UNAVAILABLE.
 */
export function grpcCodeFor(status: number): number {
  switch (status) {
    case 400:
      return GrpcCode.INTERNAL;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.UNIMPLEMENTED;
    case 504:
      return GrpcCode.DEADLINE_EXCEEDED;
    case 421:
    case 429:
    case 500:
    case 502:
    case 503:
      return GrpcCode.UNAVAILABLE;
    default:
      return GrpcCode.UNKNOWN;
  }
}

const MESSAGES: Record<number, string> = {
  404: 'no route for this method',
  421: 'misdirected request',
  500: 'no valid backend',
  502: 'upstream connect error or reset',
  503: 'no healthy upstream',
  504: 'upstream request timeout',
};

/** Percent-encode a grpc-message as the gRPC wire spec asks (printable ASCII except %). */
export function encodeGrpcMessage(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The trailers-only answer standing in for an HTTP error status the gateway produced. */
export function grpcErrorResponse(status: number): LocalResponse {
  return {
    status: 200,
    headers: [
      'content-type',
      'application/grpc',
      'grpc-status',
      String(grpcCodeFor(status)),
      'grpc-message',
      encodeGrpcMessage(MESSAGES[status] ?? `gateway answered HTTP ${status}`),
    ],
    body: '',
  };
}

/** The grpc-status in a flat header or trailer list, or null. */
export function grpcStatusIn(list: readonly (string | Buffer)[] | null): string | null {
  if (list === null) return null;
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i]!;
    if (n.length === 11 && n.toString().toLowerCase() === 'grpc-status') return list[i + 1]!.toString();
  }
  return null;
}
