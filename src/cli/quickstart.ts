// `wicket quickstart` (what `npm start` runs): starts the demo backends, then serves
// examples/quickstart/ in file mode on 127.0.0.1 and prints where to send requests. The example's
// EndpointSlices point at the demo backends' fixed ports below, so those ports must be free.
import { fileURLToPath } from 'node:url';
import { FileProvider } from '../providers/file/provider.ts';
import type { CommonFlags } from './args.ts';
import { ensurePortFree, startDemoBackends } from './demo-backends.ts';
import { serve } from './serve.ts';

export const QUICKSTART = {
  dir: fileURLToPath(new URL('../../examples/quickstart/', import.meta.url)),
  host: '127.0.0.1',
  gatewayPort: 8080,
  backends: [
    { name: 'echo-v1', port: 9081 },
    { name: 'echo-v2', port: 9082 },
  ],
};

export async function quickstart(flags: CommonFlags, out: (line: string) => void): Promise<number> {
  const q = QUICKSTART;
  await ensurePortFree(q.host, q.gatewayPort, 'the quickstart Gateway listener');
  const backends = await startDemoBackends(q.backends, q.host);
  try {
    const provider = new FileProvider({ paths: [q.dir] });
    const base = `http://${q.host}:${q.gatewayPort}`;
    return await serve(provider, { ...flags, defaultAddress: q.host }, {
      onReady: ({ adminAddress }) =>
        out(
          [
            '',
            `Wicket quickstart: serving ${q.dir} (edit those files — changes apply live)`,
            `Demo backends: ${backends.addresses.map((b) => `${b.name} on ${b.address}`).join(', ')}`,
            '',
            'Try:',
            `  curl -H 'Host: demo.example' ${base}/                       # → echo-v1`,
            `  curl -H 'Host: demo.example' ${base}/v2/hello               # → echo-v2`,
            `  curl -H 'Host: demo.example' -H 'x-canary: yes' ${base}/    # → echo-v2 (header match)`,
            `  curl -H 'Host: demo.example' ${base}/split                  # → echo-v1 or echo-v2, 50/50`,
            `  curl -H 'Host: demo.example' ${base}/old                    # → 301 redirect to /v2`,
            '',
            `Admin: http://${adminAddress}/status  /config  /metrics  /readyz  /healthz`,
            'Press Ctrl-C to stop.',
            '',
          ].join('\n'),
        ),
    });
  } finally {
    await backends.close();
  }
}
