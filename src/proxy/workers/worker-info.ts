// Per-worker series for /metrics in multi-worker mode, so an operator sees how the kernel spreads
// load and whether a worker keeps restarting: up, restarts, and the requests each one served.
import type { WorkerProcess } from './worker-process.ts';

const REQUESTS = 'wicket_http_requests_total';

/** Sum of a worker's `wicket_http_requests_total` samples. */
export function requestsIn(text: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(REQUESTS) || (line[REQUESTS.length] !== '{' && line[REQUESTS.length] !== ' ')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

export function workerInfoText(workers: readonly WorkerProcess[], texts: readonly string[]): string {
  const up = ['# HELP wicket_worker_up Whether a data-plane worker process is running, by worker index and pid.', '# TYPE wicket_worker_up gauge'];
  const restarts = ['# HELP wicket_worker_restarts_total Data-plane worker processes replaced after an unasked exit.', '# TYPE wicket_worker_restarts_total counter'];
  const served = ['# HELP wicket_worker_http_requests_total HTTP requests served, by worker (since its current process started).', '# TYPE wicket_worker_http_requests_total counter'];
  for (const w of workers) {
    const i = String(w.index);
    up.push(`wicket_worker_up{worker="${i}",pid="${w.pid ?? ''}"} ${w.pid === null ? 0 : 1}`);
    restarts.push(`wicket_worker_restarts_total{worker="${i}"} ${w.restarts}`);
    served.push(`wicket_worker_http_requests_total{worker="${i}"} ${requestsIn(texts[w.index] ?? '')}`);
  }
  return [...up, ...restarts, ...served].join('\n') + '\n';
}
