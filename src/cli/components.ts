// Where the CLI finds the stages it wires together. Stages are loaded by module path at run time so
// the CLI works (and `wicket validate` and `--help` keep working) even in a checkout where one of
// them is not built yet; a missing stage is reported by name instead of crashing at import.
import { ErrorCodes, WicketError } from '../errors.ts';
import type { Provider } from '../providers/api.ts';
import type { DataPlane } from '../proxy/api.ts';
import type { Registry } from '../metrics/registry.ts';
import type { TranslateFn } from '../runtime/runtime.ts';

// Source runs as .ts (type stripping); the published package runs compiled .js from dist/.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

async function load<T>(relPath: string, exportName: string, what: string): Promise<T> {
  const url = new URL(`${relPath}${EXT}`, import.meta.url).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(relPath.replace(/^\.\.\//, ''))) {
      throw new WicketError(ErrorCodes.USAGE, `${what} is not available in this build (${relPath}${EXT} is missing)`);
    }
    throw err;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new WicketError(ErrorCodes.USAGE, `${what}: ${relPath}${EXT} does not export ${exportName}()`);
  return fn as T;
}

export function loadTranslate(): Promise<TranslateFn> {
  return load<TranslateFn>('../translate/index', 'translate', 'the translator');
}

export interface DataPlaneOptions {
  registry: Registry;
}

export async function createDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const create = await load<(o: DataPlaneOptions) => DataPlane | Promise<DataPlane>>('../proxy/index', 'createDataPlane', 'the proxy');
  return create(options);
}

/** What kubernetes mode passes to the provider (src/providers/kubernetes/index.ts createKubernetesProvider). */
export interface KubernetesProviderOptions {
  /** kubeconfig path; absent = in-cluster credentials. */
  kubeconfig?: string;
  controllerName: string;
}

export async function createKubernetesProvider(options: KubernetesProviderOptions): Promise<Provider> {
  const create = await load<(o: KubernetesProviderOptions) => Provider | Promise<Provider>>(
    '../providers/kubernetes/index',
    'createKubernetesProvider',
    'kubernetes mode',
  );
  return create(options);
}
