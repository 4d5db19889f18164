// `--json`: exactly one JSON document on stdout, written when the run is done.
import type { RunEvent } from '../../run/events.js';

export function jsonReporter(write: (text: string) => void): (event: RunEvent) => void {
  return (event) => {
    if (event.type !== 'done') return;
    const { ok, database, migrations, error, problems } = event.result;
    write(`${JSON.stringify({ ok, database, migrations, error, problems }, null, 2)}\n`);
  };
}
