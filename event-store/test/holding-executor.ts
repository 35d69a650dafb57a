import type { SqlExecutor, SqlQueryable } from '../src/sql/executor.ts';

export interface Hold {
  /** Resolves when the held transaction has done all its work and is waiting to commit. */
  inside: Promise<void>;
  /** Lets it commit. */
  release(): void;
}

/**
 * Wraps an executor so that chosen transactions stay open after their work: `holdNext()` arms
 * the next call — a `transaction()`, or a single-statement `query()` such as the store's append,
 * which then runs in a transaction of its own — to wait, uncommitted, until released. The rows it
 * wrote (and its xid) stay in flight meanwhile, exactly like a slow request in production.
 */
export function holdingExecutor(inner: SqlExecutor): SqlExecutor & { holdNext(): Hold } {
  const armed: { inside: () => void; gate: Promise<void> }[] = [];
  const held = <T>(hold: (typeof armed)[number], fn: (tx: SqlQueryable) => Promise<T>): Promise<T> =>
    inner.transaction(async (tx) => {
      const result = await fn(tx);
      hold.inside();
      await hold.gate;
      return result;
    });
  return {
    engine: inner.engine,
    query(text, params) {
      const hold = armed.shift();
      return hold ? held(hold, (tx) => tx.query(text, params)) : inner.query(text, params);
    },
    listen: (channel, onNotify) => inner.listen(channel, onNotify),
    close: () => inner.close(),
    transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const hold = armed.shift();
      return hold ? held(hold, fn) : inner.transaction(fn);
    },
    holdNext(): Hold {
      let inside!: () => void;
      let release!: () => void;
      const insidePromise = new Promise<void>((r) => (inside = r));
      const gate = new Promise<void>((r) => (release = r));
      armed.push({ inside, gate });
      return { inside: insidePromise, release };
    },
  };
}
