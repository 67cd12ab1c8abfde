// `host:port` flag values (`127.0.0.1:9901`, `[::1]:9901`, `:9901`) → host and port.
import { ErrorCodes, WicketError } from '../errors.ts';

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new WicketError(ErrorCodes.USAGE, `${flag} ${JSON.stringify(value)}: expected host:port, e.g. 127.0.0.1:9901 (port 0 picks a free port)`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
