// The one place where upstream failures become HTTP status codes (STYLE.md #6). Everything that
// goes wrong between choosing a backend and receiving its response headers is classified here.
import { ErrorCodes, WicketError, type ErrorCode } from '../../errors.ts';

export interface Failure {
  status: number;
  code: ErrorCode;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET_CONNECT',
]);

const TLS_PREFIXES = ['ERR_TLS_', 'ERR_SSL_', 'CERT_', 'UNABLE_TO_', 'DEPTH_ZERO', 'SELF_SIGNED', 'HOSTNAME_MISMATCH'];

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export const NO_ENDPOINTS: Failure = { status: 503, code: ErrorCodes.NO_ENDPOINTS };
export const INVALID_BACKEND: Failure = { status: 500, code: ErrorCodes.INVALID_BACKEND };
export const TIMEOUT: Failure = { status: 504, code: ErrorCodes.UPSTREAM_TIMEOUT };
export const CONNECT: Failure = { status: 502, code: ErrorCodes.UPSTREAM_CONNECT };
export const RESET: Failure = { status: 502, code: ErrorCodes.UPSTREAM_RESET };

/** Classify an error raised while talking to an upstream. */
export function classify(err: unknown): Failure {
  if (err instanceof WicketError) {
    switch (err.code) {
      case ErrorCodes.UPSTREAM_TIMEOUT:
        return TIMEOUT;
      case ErrorCodes.NO_ENDPOINTS:
        return NO_ENDPOINTS;
      case ErrorCodes.INVALID_BACKEND:
        return INVALID_BACKEND;
      case ErrorCodes.UPSTREAM_CONNECT:
        return CONNECT;
      default:
        return RESET;
    }
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (TIMEOUT_CODES.has(code)) return TIMEOUT;
    if (CONNECT_CODES.has(code)) return CONNECT;
    if (TLS_PREFIXES.some((p) => code.startsWith(p))) return CONNECT;
  }
  return RESET;
}

/** True when the request never reached the upstream, so retrying it is always safe. */
export function isConnectFailure(err: unknown): boolean {
  return classify(err) === CONNECT;
}

export function toWicketError(f: Failure, cause: unknown, where: string): WicketError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new WicketError(f.code, `${where}: ${detail}`, { cause });
}
