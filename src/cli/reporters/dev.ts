// What `dev` prints for a run triggered by a saved file: only what happened
// (applied, failed, problems), not the full listing of the run at start.
import type { RunEvent } from '../../run/events.js';
import { printError } from '../output.js';
import { formatMs, type Style } from './style.js';

type Write = (line: string) => void;

/** A compact reporter of one migration run of the dev server's watcher. */
export function changeReporter(write: Write, writeError: Write, style: Style): (event: RunEvent) => void {
  let applied = 0;
  return (event) => {
    switch (event.type) {
      case 'problem': {
        const p = event.problem;
        const line = `${p.severity === 'error' ? style.red('❌') : p.severity === 'warning' ? style.yellow('⚠️ ') : 'ℹ️ '} ${p.message}`;
        (p.severity === 'error' ? writeError : write)(line);
        if (p.hint) (p.severity === 'error' ? writeError : write)(style.dim(`   → ${p.hint}`));
        break;
      }
      case 'file:done':
        applied++;
        write(`✅ applied ${event.item.file.path} ${style.dim(`(${formatMs(event.durationMs)})`)}`);
        break;
      case 'file:error':
        writeError(style.red(`❌ failed ${event.item.file.path} (${formatMs(event.durationMs)}): rolled back, not recorded`));
        break;
      case 'done':
        if (event.result.error) {
          if (event.result.error.code === 'VALIDATION') writeError(style.red(`❌ nothing applied: ${event.result.error.message}`));
          else printError(writeError, style, event.result.error);
        } else if (applied === 0) write(style.dim('   nothing pending'));
        break;
      default:
        break;
    }
  };
}
