/**
 * Serialises writes to one resource: work for the same key runs one after another. KeyedLock
 * does it inside this process; RedisKeyedLock (src/shared-state/redis-lock.ts) across replicas.
 */
export interface WriteLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/**
 * Runs work for the same key one after another (in this process). Two SCIM writes to one user
 * then never interleave their read-modify-write: the second reads what the first wrote.
 */
export class KeyedLock implements WriteLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
