// Coalesces the lines written in one synchronous burst into one write. A run with
// nothing to do prints a line per file; on Linux each write to a pipe is a
// synchronous system call, which made printing cost more than planning. Lines are
// flushed whenever the run waits (so progress stays live) and at the end.

export interface LineWriter {
  write(line: string): void;
  flush(): void;
}

export function lineWriter(stream: NodeJS.WritableStream, transform: (text: string) => string): LineWriter {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    stream.write(transform(text));
  };
  return {
    write(line) {
      pending.push(`${line}\n`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
