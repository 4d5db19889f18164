// Watches the migration folders for saved files, and calls back once per burst
// of changes (editors write a file in several steps). Node 20's recursive
// fs.watch covers new sub-folders (a new entity) on Linux, macOS and Windows.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface Watcher {
  close(): void;
}

/** A change that can alter a plan: a `.sql` file, or a theme config (which plugins are active). */
export function isRelevantChange(file: string): boolean {
  return file.endsWith('.sql') || /(^|[\\/])theme\.config\.ts$/.test(file);
}

/**
 * Watches `dirs` (those that exist); after `debounceMs` without further changes,
 * calls `onChange` with the changed paths (relative to `root`, `/` separators).
 */
export function watchFolders(root: string, dirs: readonly string[], debounceMs: number, onChange: (files: string[]) => void, onError: (error: Error) => void): Watcher {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(dirs)) {
    if (!existsSync(dir)) continue;
    const watcher = watch(dir, { recursive: true }, (_event, name) => {
      if (!name || !isRelevantChange(name)) return;
      pending.add(path.relative(root, path.join(dir, name)).split(path.sep).join('/'));
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        const files = [...pending].sort();
        pending.clear();
        onChange(files);
      }, debounceMs);
    });
    watcher.on('error', onError);
    watchers.push(watcher);
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
