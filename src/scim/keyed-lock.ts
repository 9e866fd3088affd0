import { currentDeadline, systemClock, type Clock } from "../bigcommerce/index.js";
import { LockBusyError } from "../shared-state/errors.js";

/**
 * Serialises writes to one resource: work for the same key runs one after another. KeyedLock
 * does it inside this process; RedisKeyedLock (src/shared-state/redis-lock.ts) across replicas.
 */
export interface WriteLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** How soon a caller refused for a busy lock may try again (the holder's end is not known). */
const BUSY_RETRY_AFTER_MS = 5_000;

/**
 * Runs work for the same key one after another (in this process). Two SCIM writes to one user
 * then never interleave their read-modify-write: the second reads what the first wrote.
 *
 * A caller waits for its turn no longer than its SCIM request's deadline (bigcommerce/deadline.ts):
 * past it, it gets LockBusyError (a 503 with Retry-After) and its work never runs, so a request
 * queued behind a slow one answers within the IdP's patience instead of after it.
 */
export class KeyedLock implements WriteLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly clock: Clock = systemClock) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const deadline = currentDeadline();
    let gaveUp = false;
    let started = false;
    const turn = (): Promise<T> => {
      if (gaveUp) return Promise.reject(new LockBusyError("gave up waiting for the lock", BUSY_RETRY_AFTER_MS));
      started = true;
      return work();
    };
    const result = previous.then(turn, turn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // The key is forgotten when its last turn is over, never when a caller stops waiting: one that
    // gave up still sits behind the holder, and a later caller must wait for that holder too.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    const stopTimer = new AbortController();
    try {
      if (deadline === undefined) return await result;
      const expired = this.clock.sleep(Math.max(0, deadline.at - this.clock.now()), stopTimer.signal).then(
        () => {
          if (started) return result; // the work runs: its own steps are bounded by the deadline
          gaveUp = true;
          throw new LockBusyError("another change to this resource held the lock past the request's deadline", BUSY_RETRY_AFTER_MS);
        },
        () => result,
      );
      return await Promise.race([result, expired]);
    } finally {
      stopTimer.abort();
    }
  }
}
