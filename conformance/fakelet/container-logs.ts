// Container log files in the CRI format the kubelet also keeps on disk
// ("<RFC3339Nano> <stream> F <line>"), and the query side of GET /containerLogs:
// sinceTime, sinceSeconds, tailLines, limitBytes and timestamps. Pure except write().
import { appendFileSync } from 'node:fs';

export function rfc3339Nano(d: Date): string {
  // JavaScript clocks have millisecond resolution; pad to the nanosecond field width.
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export function formatLine(at: Date, stream: 'stdout' | 'stderr', line: string): string {
  return `${rfc3339Nano(at)} ${stream} F ${line}\n`;
}

/** Splits a stream into lines and appends them to a log file, one timestamp per line. */
export class LineLogger {
  private partial = '';
  private file: string;
  private stream: 'stdout' | 'stderr';
  constructor(file: string, stream: 'stdout' | 'stderr') { this.file = file; this.stream = stream; }
  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (lines.length) appendFileSync(this.file, lines.map((l) => formatLine(new Date(), this.stream, l)).join(''));
  }
  flush(): void {
    if (this.partial) appendFileSync(this.file, formatLine(new Date(), this.stream, this.partial));
    this.partial = '';
  }
}

export interface LogQuery { sinceTime?: string; sinceSeconds?: number; tailLines?: number; limitBytes?: number; timestamps?: boolean }

export function parseLogQuery(params: URLSearchParams): LogQuery {
  const num = (k: string) => (params.has(k) ? Number(params.get(k)) : undefined);
  return {
    sinceTime: params.get('sinceTime') ?? undefined,
    sinceSeconds: num('sinceSeconds'),
    tailLines: num('tailLines'),
    limitBytes: num('limitBytes'),
    timestamps: params.get('timestamps') === 'true' || params.get('timestamps') === '1',
  };
}

/** Renders a log file's content for a query, as `kubectl logs` would show it. */
export function renderLogs(content: string, q: LogQuery, now: Date): string {
  let since: number | undefined;
  if (q.sinceTime) since = Date.parse(q.sinceTime);
  else if (q.sinceSeconds !== undefined) since = now.getTime() - q.sinceSeconds * 1000;
  let entries = content.split('\n').filter(Boolean).map((l) => {
    const [ts, , , ...rest] = l.split(' ');
    return { ts, at: Date.parse(ts), text: rest.join(' ') };
  });
  if (since !== undefined) entries = entries.filter((e) => e.at >= since);
  if (q.tailLines !== undefined && q.tailLines >= 0) entries = entries.slice(Math.max(0, entries.length - q.tailLines));
  let out = entries.map((e) => (q.timestamps ? `${e.ts} ${e.text}\n` : `${e.text}\n`)).join('');
  if (q.limitBytes !== undefined && q.limitBytes > 0) out = Buffer.from(out).subarray(0, q.limitBytes).toString();
  return out;
}
