// Entry of a data-plane worker process (forked by WorkerPool). It only sets up signals, then loads
// the worker (worker.ts): static imports would load the whole data plane before any line here ran.
//
// A terminal's Ctrl-C (SIGINT) and a service manager's SIGTERM reach the whole process group. The
// primary turns them into a drain of every worker; a worker dying on the signal itself (while it
// is still loading, too) would cut its requests in flight instead.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

await import('./worker.ts');
