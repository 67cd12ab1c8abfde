// The `wicket` command: `main(argv)` returns the exit status. bin/wicket.js calls it; `npm start`
// runs this file directly (`node src/cli/main.ts quickstart`), which the check at the bottom handles.
import { realpathSync } from 'node:fs';
import nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { isWicketError } from '../errors.ts';
import { logger, setLogLevel } from '../log.ts';
import type { Provider } from '../providers/api.ts';
import { HELP, parseCommandLine, type ParsedCommand } from './args.ts';
import { relaunchWithHeapFlags } from './heap-flags.ts';
import { VERSION } from './version.ts';

const stdout = (line: string) => process.stdout.write(line + '\n');

export async function main(argv: string[]): Promise<number> {
  let cmd: ParsedCommand;
  try {
    cmd = parseCommandLine(argv);
  } catch (err) {
    process.stderr.write(`wicket: ${(err as Error).message}\nRun 'wicket --help' for usage.\n`);
    return 2;
  }
  setLogLevel(cmd.flags.logLevel);
  try {
    switch (cmd.command) {
      case 'help':
        process.stdout.write(HELP);
        return 0;
      case 'version':
        stdout(`wicket ${VERSION}`);
        return 0;
      case 'validate': {
        // Loaded on demand (it pulls in the YAML parser), so that a serving command that restarts
        // itself first (heap-flags.ts) has loaded next to nothing before it does.
        const { validate } = await import('./validate.ts');
        return await validate(cmd.files, stdout);
      }
      // Serving pulls in the translator and the proxy; they load only when a command serves.
      case 'quickstart': {
        cacheCompiledCode();
        const { quickstart } = await import('./quickstart.ts');
        return await quickstart(cmd.flags, stdout);
      }
      case 'run': {
        cacheCompiledCode();
        const { serve } = await import('./serve.ts');
        return await serve(await makeProvider(cmd), cmd.flags);
      }
    }
  } catch (err) {
    if (isWicketError(err)) {
      logger.error(err.message, { code: err.code });
      process.stderr.write(`wicket: ${err.message}\n`);
      return err.code === 'WICKET_ERR_USAGE' ? 2 : 1;
    }
    logger.error('fatal error', { err: err as Error, stack: (err as Error)?.stack });
    process.stderr.write(`wicket: fatal error: ${(err as Error)?.message ?? err}\n`);
    return 1;
  }
}

/**
 * Node's module compile cache: V8 code for every module loaded from here on is kept on disk and
 * reused by the next start, which then compiles ~60 ms (of ~340 ms of loading) less; serve.ts
 * writes it once the first configuration serves. Node's own switches apply: NODE_COMPILE_CACHE=dir
 * chooses the directory (default: node-compile-cache under the OS temporary directory),
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. It never fails a start: an unusable directory only
 * means no cache (enableCompileCache reports that instead of throwing).
 */
function cacheCompiledCode(): void {
  // Older Node without the API starts as before.
  if (typeof nodeModule.enableCompileCache === 'function') nodeModule.enableCompileCache();
}

/** File mode when paths are given, kubernetes mode otherwise (kubeconfig or in-cluster). */
async function makeProvider(cmd: ParsedCommand): Promise<Provider> {
  if (cmd.files.length > 0) {
    const { FileProvider } = await import('../providers/file/provider.ts');
    return new FileProvider({ paths: cmd.files });
  }
  // Loaded on demand: it pulls in the Kubernetes client, which file mode, validate and --help never need.
  const { createKubernetesProvider } = await import('../providers/kubernetes/index.ts');
  return createKubernetesProvider({ kubeconfig: cmd.flags.kubeconfig, controllerName: cmd.flags.controllerName });
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  relaunchWithHeapFlags(process.argv.slice(2));
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Everything is closed by now; this only guards against a stray handle keeping us alive.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
