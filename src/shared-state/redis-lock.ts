import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { systemClock, type Clock } from "../bigcommerce/clock.js";
import { boundedBy } from "../bigcommerce/deadline.js";
import { KeyedLock, type WriteLock } from "../scim/keyed-lock.js";
import { LeaseLostError, LockBusyError } from "./errors.js";
import type { Keyspace } from "./keyspace.js";
import { runWithLease, type Lease } from "./lease.js";
import { LuaScript } from "./lua-script.js";
import { REDIS_RETRY_AFTER_MS, shared } from "./redis-connection.js";

/**
 * The per-user write lock shared by replicas: a lease in Redis (SET with an expiry) that the
 * holder renews while its work runs. A replica that dies holding it releases it when the lease
 * expires. Each lease carries a token (a per-resource counter plus a random id); renewal and
 * release only act on the holder's own token, and every write under the lease checks locally
 * that the lease is still valid, when it is submitted and again right before it is sent (lease.ts
 * registers the lease as the BigCommerce client's write guard), so a holder whose lease expired
 * or was taken over is refused instead of writing, and a write of it still in flight is
 * abandoned (the lease's signal aborts the call).
 *
 * It is a lease, not a fence: BigCommerce does not check our token, so a write that left while
 * the lease was valid can still land after another replica took the lock (a pause of this
 * process, a Redis restart, a slow store). The lease is kept well above the longest write
 * (config.ts refuses one under twice the request timeout), and a user write that ran when its
 * lease was lost has its deactivation invariants re-checked afterwards (user-writer.ts).
 *
 * Work for one key inside this replica queues in an in-process KeyedLock first, so only one
 * request per replica and key polls Redis at a time.
 */
export interface RedisLockOptions {
  /** Lease length; renewed every third of it while the work runs. */
  leaseMs: number;
  /** Longest a caller waits for the lock (in this replica and in Redis) before LockBusyError. */
  waitMs: number;
  clock?: Clock;
}

// KEYS: lock, counter. ARGV: holder id, lease ms, counter ttl ms.
// Returns the new lease number (> 0) when acquired, or minus the lease's remaining ms when held.
const ACQUIRE = new LuaScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl ~= -2 then
  if ttl < 1 then ttl = 1 end
  return -ttl
end
local generation = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], generation .. ':' .. ARGV[1], 'PX', ARGV[2])
return generation
`);

// KEYS: lock. ARGV: token, lease ms. 1 when still ours (and extended), 0 otherwise.
const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

// KEYS: lock. ARGV: token. Deletes only our own lease.
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/** The lease counter outlives many leases; it only has to outlive the longest lease. */
const COUNTER_TTL_MS = 24 * 60 * 60_000;
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 200;

export class RedisKeyedLock implements WriteLock {
  private readonly local: KeyedLock;
  private readonly clock: Clock;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly options: RedisLockOptions,
    private readonly logger: Logger,
  ) {
    this.clock = options.clock ?? systemClock;
    this.local = new KeyedLock(this.clock);
  }

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    // Not past the SCIM request's deadline (bigcommerce/deadline.ts): the IdP would have given up.
    const deadline = boundedBy(this.clock.now() + this.options.waitMs);
    return this.local.run(key, async () => {
      const lease = await this.acquire(key, deadline);
      try {
        return await runWithLease(lease, work);
      } finally {
        await lease.release();
      }
    });
  }

  private async acquire(resource: string, deadline: number): Promise<HeldLease> {
    const holder = randomBytes(12).toString("hex");
    for (;;) {
      // The lease can have started no earlier than this: its local validity counts from here.
      const sentAt = this.clock.now();
      const result = Number(
        await shared("lock acquire", () =>
          ACQUIRE.run(this.redis, [this.keys.lock(resource), this.keys.leaseCounter(resource)], [holder, this.options.leaseMs, COUNTER_TTL_MS]),
        ),
      );
      if (result > 0) return new HeldLease(this.redis, this.keys.lock(resource), resource, result, `${result}:${holder}`, this.options.leaseMs, sentAt, this.clock, this.logger);
      const heldForMs = -result;
      const now = this.clock.now();
      if (now >= deadline) {
        throw new LockBusyError("another writer holds the lock on this resource", Math.max(1_000, heldForMs));
      }
      const jitter = Math.random() * POLL_MIN_MS;
      await this.clock.sleep(Math.min(deadline - now, Math.max(POLL_MIN_MS, Math.min(POLL_MAX_MS, heldForMs)) + jitter));
    }
  }
}

/** Clock drift between us and Redis tolerated on a lease (Redlock's rule: 1% plus 2 ms). */
const driftOf = (leaseMs: number) => Math.ceil(leaseMs * 0.01) + 2;

class HeldLease implements Lease {
  private readonly abort = new AbortController();
  /** Local time until which the lease is certainly ours: the send time of the last renewal + lease - drift. */
  private validUntil: number;
  private readonly timer: NodeJS.Timeout;
  /** Fires at validUntil: a lease that could not be renewed (Redis unreachable) is lost then. */
  private expiry: NodeJS.Timeout | undefined;
  private renewing = false;
  private released = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    readonly resource: string,
    readonly generation: number,
    private readonly token: string,
    private readonly leaseMs: number,
    acquiredSentAt: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    // Counted from when the acquire was sent, never from when its answer arrived: Redis started
    // the lease in between, so our view of its end is never later than Redis's.
    this.validUntil = acquiredSentAt + leaseMs - driftOf(leaseMs);
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(leaseMs / 3)));
    this.timer.unref();
    this.armExpiry();
  }

  /** Loses the lease at validUntil unless a renewal pushed it further: writes in flight are abandoned then. */
  private armExpiry(): void {
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => {
      if (!this.released && this.clock.now() >= this.validUntil) this.lose();
      else if (!this.released) this.armExpiry();
    }, Math.max(1, this.validUntil - this.clock.now()));
    this.expiry.unref();
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  assertHeld(): void {
    if (this.released) {
      // The work has ended and the lock is free: another writer may hold it already. A write
      // still under this lease is detached work (e.g. a sibling left running by Promise.all),
      // and would land unserialised between that writer's reads and writes.
      throw new LeaseLostError(`the write lock on ${this.resource} was released before this write`, REDIS_RETRY_AFTER_MS);
    }
    if (this.abort.signal.aborted || this.clock.now() >= this.validUntil) {
      this.lose();
      throw new LeaseLostError(`the write lock on ${this.resource} expired or was taken over before this write`, REDIS_RETRY_AFTER_MS);
    }
  }

  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
    clearTimeout(this.expiry);
    if (this.abort.signal.aborted) return;
    try {
      // Not ours any more: the lease was lost while the work ran, unnoticed between renewals, so
      // a write of it may have landed after another holder's. Say so (the signal) to the writer.
      if (Number(await RELEASE.run(this.redis, [this.key], [this.token])) === 0) this.lose();
    } catch (error) {
      // The work is done (its writes stand); an unreleased lease only delays the next writer
      // until it expires, so this failure must not turn a completed request into an error.
      this.logger.warn({ err: { message: (error as Error).message }, generation: this.generation }, "could not release a write lock; it expires by itself");
    }
  }

  private lose(): void {
    if (!this.abort.signal.aborted) this.abort.abort(new LeaseLostError(`the write lock on ${this.resource} was lost while a write was on its way`, REDIS_RETRY_AFTER_MS));
    clearInterval(this.timer);
    clearTimeout(this.expiry);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.released || this.abort.signal.aborted) return;
    this.renewing = true;
    const sentAt = this.clock.now();
    try {
      const ours = Number(await RENEW.run(this.redis, [this.key], [this.token, this.leaseMs]));
      if (ours === 1) {
        this.validUntil = sentAt + this.leaseMs - driftOf(this.leaseMs);
        if (!this.released) this.armExpiry();
      }
      else this.lose(); // expired and taken, or Redis restarted empty
    } catch {
      // Redis unreachable: the lease simply runs out at validUntil; assertHeld refuses after that.
    } finally {
      this.renewing = false;
    }
  }
}
