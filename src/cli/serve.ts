// `wicket run` (and quickstart): wires provider → runtime → data plane, starts the admin server,
// and on SIGTERM/SIGINT drains — stop accepting, let requests in flight finish, exit 0.
import nodeModule from 'node:module';
import { startAdminServer } from '../admin/server.ts';
import { ErrorCodes, isWicketError, WicketError } from '../errors.ts';
import { logger, setLogLevel } from '../log.ts';
import { defaultRegistry } from '../metrics/registry.ts';
import type { Provider } from '../providers/api.ts';
import { AddressPool } from '../runtime/address-pool.ts';
import { Runtime } from '../runtime/runtime.ts';
import { createServingDataPlane } from '../proxy/workers/index.ts';
import { translate } from '../translate/index.ts';
import type { CommonFlags } from './args.ts';

export interface ServeHooks {
  /** Called once the first configuration is serving. */
  onReady?: (info: { adminAddress: string }) => void;
  /** Stops the server as a signal would (tests, quickstart). */
  stop?: AbortSignal;
}

export async function serve(provider: Provider, flags: CommonFlags, hooks: ServeHooks = {}): Promise<number> {
  setLogLevel(flags.logLevel);
  const addressPool = flags.addressPool ? new AddressPool(flags.addressPool) : undefined;
  // One in-process data plane, or `--workers N` processes; the admin's /metrics merges theirs.
  const { dataPlane, adminRegistry } = createServingDataPlane({ workers: flags.workers, logLevel: flags.logLevel, registry: defaultRegistry });
  const runtime = new Runtime({
    provider,
    dataPlane,
    translate,
    translateOptions: {
      controllerName: flags.controllerName,
      defaultAddress: flags.defaultAddress,
      ...(addressPool ? { addressPool: { cidr: addressPool.cidr } } : {}),
    },
    registry: defaultRegistry,
    addressPool,
  });

  let admin;
  try {
    admin = await startAdminServer(flags.adminAddress, runtime, adminRegistry);
  } catch (err) {
    await dataPlane.drain(0);
    if (isWicketError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new WicketError(ErrorCodes.BIND, `cannot start the admin server on ${flags.adminAddress} (${code}); choose another with --admin-address`, { cause: err });
  }
  logger.info('admin listening', { address: admin.address });

  // A promise rejected with nobody to handle it is a bug somewhere, not a reason to stop serving
  // the configuration in force: log it loudly and carry on.
  const onRejection = (reason: unknown) => logger.error('unhandled promise rejection', { err: reason as Error, stack: (reason as Error)?.stack });
  process.on('unhandledRejection', onRejection);
  const stopped = waitForStop(hooks.stop);
  try {
    await runtime.start();
  } catch (err) {
    logger.error('the provider failed to start', { err: err as Error });
    await admin.close();
    await dataPlane.drain(0);
    stopped.dispose();
    process.off('unhandledRejection', onRejection);
    return 1;
  }
  void runtime.whenReady().then(() => {
    // The code compiled to serve (main.ts enabled the cache) is on disk for the next start, also
    // when this process is killed rather than stopped (Node writes it at a normal exit only).
    if (typeof nodeModule.flushCompileCache === 'function') nodeModule.flushCompileCache();
    hooks.onReady?.({ adminAddress: admin.address });
  });

  const why = await stopped.promise;
  logger.info('shutting down: draining requests in flight', { signal: why, deadlineMs: flags.drainTimeoutMs });
  await runtime.stop();
  await dataPlane.drain(flags.drainTimeoutMs);
  await admin.close();
  process.off('unhandledRejection', onRejection);
  logger.info('stopped');
  return 0;
}

function waitForStop(signal?: AbortSignal): { promise: Promise<string>; dispose(): void } {
  let dispose = () => {};
  const promise = new Promise<string>((resolve) => {
    const onSig = (sig: NodeJS.Signals) => {
      dispose();
      resolve(sig);
    };
    const onAbort = () => {
      dispose();
      resolve('stop');
    };
    process.once('SIGTERM', onSig);
    process.once('SIGINT', onSig);
    signal?.addEventListener('abort', onAbort, { once: true });
    dispose = () => {
      process.off('SIGTERM', onSig);
      process.off('SIGINT', onSig);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) onAbort();
  });
  return { promise, dispose: () => dispose() };
}
