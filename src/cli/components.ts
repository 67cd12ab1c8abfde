// Kubernetes mode is loaded on demand: its module pulls in the Kubernetes client, which file mode,
// `wicket validate` and `--help` never need, so they start faster without it.
import type { Provider } from '../providers/api.ts';
import type { KubernetesProviderOptions } from '../providers/kubernetes/index.ts';

export type { KubernetesProviderOptions };

export async function createKubernetesProvider(options: KubernetesProviderOptions): Promise<Provider> {
  const mod = await import('../providers/kubernetes/index.ts');
  return mod.createKubernetesProvider(options);
}
