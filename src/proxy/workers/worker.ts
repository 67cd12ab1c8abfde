// A data-plane worker process (started by worker-main.ts, forked by WorkerPool): the existing data
// plane, unchanged, driven over IPC. It applies each IR it is sent and replies with the result and the ports it bound,
// drains on request, and pushes its metrics text when it changed. If the primary goes away (IPC
// disconnect), it drains at once and exits: a worker never outlives the process that owns it.
import { ErrorCodes } from '../../errors.ts';
import type { IR } from '../../ir/types.ts';
import { logger, setLogLevel, setLogSink } from '../../log.ts';
import { defaultRegistry } from '../../metrics/registry.ts';
import { createDataPlane } from '../index.ts';
import { applySteadyHeapGrowth } from '../../runtime/heap-growth.ts';
import { IrDecoder } from './ir-delta.ts';
import type { BoundPort, FromWorker, ToWorker, WorkerSettings } from './protocol.ts';
import { enableReusePortForListeners } from './reuse-port.ts';

const settings = JSON.parse(process.argv[2] ?? '{}') as WorkerSettings;
enableReusePortForListeners();
setLogLevel(settings.logLevel);
// Every log line (access logs too) says which worker wrote it.
const prefix = `{"worker":${Number(settings.index)},"pid":${process.pid},`;
setLogSink((line) => process.stderr.write(prefix + line.slice(1) + '\n'));

const plane = createDataPlane({ registry: defaultRegistry, accessLog: settings.accessLog });
const send = (m: FromWorker): void => {
  if (process.connected) process.send!(m);
};

// Pushed every `metricsPushMs`, or less often when rendering them is costly (thousands of routes
// make a long exposition): rendering never takes more than ~2% of the worker's time.
let lastMetrics = '';
let metricsTimer: NodeJS.Timeout | undefined;
const pushMetrics = (): void => {
  const t0 = performance.now();
  const text = defaultRegistry.expose();
  const took = performance.now() - t0;
  if (text !== lastMetrics) {
    lastMetrics = text;
    send({ type: 'metrics', text });
  }
  clearTimeout(metricsTimer);
  if (stopping) return;
  metricsTimer = setTimeout(pushMetrics, Math.max(settings.metricsPushMs || 250, 50 * took));
  metricsTimer.unref();
};

let stopping = false;
const stop = async (deadlineMs: number): Promise<void> => {
  stopping = true;
  clearTimeout(metricsTimer);
  await plane.drain(deadlineMs);
};

const decoder = new IrDecoder();

process.on('message', (m: ToWorker) => {
  if (m.type === 'apply') {
    // Decoded on arrival, in message order: later messages refer to the objects of this one.
    let ir: IR;
    try {
      ir = decoder.decode(m.ir);
    } catch (err) {
      send({ type: 'apply-failed', id: m.id, message: (err as Error).message, code: (err as { code?: string }).code ?? ErrorCodes.IR_REFERENCE });
      return;
    }
    plane.apply(ir).then(
      (result) => {
        applySteadyHeapGrowth(); // the first configuration is served (see runtime/heap-growth.ts)
        const bound: BoundPort[] = [...plane.boundPorts()].map(([name, a]) => ({ name, address: a.address, port: a.port }));
        send({ type: 'applied', id: m.id, result, bound });
        pushMetrics();
      },
      (err: Error & { code?: string }) => send({ type: 'apply-failed', id: m.id, message: err.message, ...(typeof err.code === 'string' ? { code: err.code } : {}) }),
    );
  } else if (m.type === 'drain') {
    void stop(m.deadlineMs).then(() => {
      pushMetrics();
      send({ type: 'drained', id: m.id });
      if (process.connected) process.disconnect();
    });
  }
});

process.on('disconnect', () => {
  if (stopping) return;
  logger.warn('primary process gone: worker stops');
  void stop(0).then(() => process.exit(0));
});

// Same policy as the single-process server: log a stray rejection, keep serving.
pushMetrics();
process.on('unhandledRejection', (reason) => logger.error('unhandled promise rejection', { err: reason as Error, stack: (reason as Error)?.stack }));

send({ type: 'ready', pid: process.pid });
