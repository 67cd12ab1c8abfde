// The catalogue of Wicket's errors. Every error Wicket raises on purpose has a stable code here,
// so tests assert on codes, logs can be searched by code, and the README can list them.

export const ErrorCodes = {
  /** A manifest is not valid YAML. */
  PARSE: 'WICKET_ERR_PARSE',
  /** A manifest names a kind or apiVersion Wicket does not read. */
  UNKNOWN_KIND: 'WICKET_ERR_UNKNOWN_KIND',
  /** A manifest breaks a rule of the CRD schema or its validation rules. */
  INVALID_OBJECT: 'WICKET_ERR_INVALID_OBJECT',
  /** Two manifests define the same object. */
  DUPLICATE_OBJECT: 'WICKET_ERR_DUPLICATE_OBJECT',
  /** A file or directory given on the command line cannot be read. */
  READ: 'WICKET_ERR_READ',
  /** A socket could not be bound (address in use, address not available). */
  BIND: 'WICKET_ERR_BIND',
  /** Bad command-line usage. */
  USAGE: 'WICKET_ERR_USAGE',
  /** Upstream failures, mapped to HTTP status in one place (src/proxy). */
  UPSTREAM_CONNECT: 'WICKET_ERR_UPSTREAM_CONNECT',
  UPSTREAM_TIMEOUT: 'WICKET_ERR_UPSTREAM_TIMEOUT',
  UPSTREAM_RESET: 'WICKET_ERR_UPSTREAM_RESET',
  NO_ENDPOINTS: 'WICKET_ERR_NO_ENDPOINTS',
  INVALID_BACKEND: 'WICKET_ERR_INVALID_BACKEND',
  /** Kubernetes API errors the provider could not recover from by retrying. */
  KUBE_API: 'WICKET_ERR_KUBE_API',
  /** A data-plane worker was sent an IR delta referring to an object it does not hold (a lost message); the primary resends in full. */
  IR_REFERENCE: 'WICKET_ERR_IR_REFERENCE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class WicketError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WicketError';
    this.code = code;
  }
}

export function isWicketError(err: unknown, code?: ErrorCode): err is WicketError {
  return err instanceof WicketError && (code === undefined || err.code === code);
}
