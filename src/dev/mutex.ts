// A first-come, first-served lock: who holds it may call the database; the
// others wait in order. The dev server's one PGlite session is shared by the
// connected client (while its transaction is open) and the migration runs.

export class Mutex {
  #held = false;
  #waiting: (() => void)[] = [];

  /** Resolves, once the lock is ours, to the function that releases it (idempotent). */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#held = true;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          const next = this.#waiting.shift();
          if (next) next();
          else this.#held = false;
        });
      };
      if (this.#held) this.#waiting.push(grant);
      else grant();
    });
  }

  get locked(): boolean {
    return this.#held;
  }
}
