// Watches the directories that hold the manifests and calls `onEvent` on any change in them, with
// the path the event names when it names one (so a reload can look at that file alone).
// Watching directories rather than files is what makes editors that save by writing a new file
// and renaming it over the old one work: a watch on the old file's inode would go silent. Each
// directory gets its own non-recursive watcher; after every scan the set is brought up to date,
// so directories created later are watched too.
import { watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { logger } from '../../log.ts';

export class DirectoryWatcher {
  /**
   * `atOnce`: the event was a file appearing, vanishing or being renamed (see debounce.ts). `path`:
   * the entry it names, absent when the platform did not say (then anything may have changed).
   */
  readonly #onEvent: (atOnce: boolean, path?: string) => void;
  readonly #watchers = new Map<string, FSWatcher>();
  /** Directories already warned about, so a reload does not repeat the warning. */
  readonly #warned = new Set<string>();
  #closed = false;

  constructor(onEvent: (atOnce: boolean, path?: string) => void) {
    this.#onEvent = onEvent;
  }

  /**
   * Make the watched set equal to the directories walked plus the parent directory of every root
   * (so a root file that is replaced, deleted or created is seen). Returns true when a directory
   * was newly watched: the caller rescans once more, since files may have landed in it before the
   * watcher existed.
   */
  update(roots: string[], directories: string[]): boolean {
    if (this.#closed) return false;
    const want = new Set(directories);
    for (const r of roots) want.add(dirname(resolve(r)));
    let added = false;
    for (const dir of want) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: true }, (eventType, name) => this.#onEvent(eventType === 'rename', name ? join(dir, name) : undefined));
        w.on('error', () => {
          // The directory went away; forget it so a new one of the same name is watched again.
          w.close();
          this.#watchers.delete(dir);
          this.#onEvent(true);
        });
        this.#watchers.set(dir, w);
        added = true;
      } catch (err) {
        // ENOENT: gone already (the next scan forgets it). Anything else (ENOSPC: the inotify
        // watch limit) means changes there will be missed, which the user must hear about.
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') logger.debug('cannot watch directory', { dir, err: err as Error });
        else if (!this.#warned.has(dir)) {
          this.#warned.add(dir);
          logger.warn('cannot watch directory; changes in it will not be seen', { dir, code, err: err as Error });
        }
      }
    }
    for (const [dir, w] of this.#watchers) {
      if (!want.has(dir)) {
        w.close();
        this.#watchers.delete(dir);
      }
    }
    return added;
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }
}
