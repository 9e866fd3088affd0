import type { Customer } from "../../bigcommerce/index.js";
import { currentScope } from "../../http/request-scope.js";
import type { WriteLock } from "../keyed-lock.js";

/**
 * Customers this process read (or wrote) for a SCIM client a moment ago, so that the PATCH or
 * PUT an IdP sends right after its own GET or `userName eq` lookup starts from that read
 * instead of reading the customer again (Okta: GET then PUT; Entra: lookup then PATCH).
 *
 * Why an older base is safe: a write sends only what the request changes relative to its base
 * (user-writer's field and attribute diffs), so a field another writer changed in the meantime
 * is not in the write and keeps that writer's value. The age is bounded (`maxAgeMs`, 0 turns
 * this off), entries are per calling client (one IdP's read never serves another's write), and
 * every write to a customer made under the per-customer lock (user writes and group membership
 * writes alike: ForgettingLock) drops what was remembered of it, whether it succeeded or not.
 * A read that was under way while a write to the same customer started or ended is not
 * remembered (write epochs), so a base never predates a write this process made.
 *
 * With replicas (REDIS_URL), writes on other replicas count too: every write also marks its
 * start and end in Redis (SharedWriteEpochs: a store-wide counter and each customer's latest
 * write), a read notes the counter before it is sent, and a remembered read serves only while
 * its customer's latest write in Redis is still the one it saw. When Redis cannot tell, the
 * read is not remembered or not used (the customer is read again); when it cannot note a
 * write's start, the write does not happen.
 *
 * What it does not cover: a change made outside the bridge (the control panel, another app) in
 * the moments between an IdP's read and its write. Such a field keeps the other writer's value
 * unless the IdP's request changes it relative to what the IdP read.
 */

/** Write epochs shared by replicas (src/shared-state/redis-write-epochs.ts). */
export interface SharedWriteEpochs {
  /** The store-wide write counter now (taken before a read is sent). */
  counter(): Promise<number>;
  /**
   * Each customer's latest write mark: the counter at its latest write start (negative: that
   * write has not ended) or end; null when none is known.
   */
  latest(ids: readonly number[]): Promise<(number | null)[]>;
  /** A write to this customer starts or ends: its new mark, and the one it replaced. */
  touch(id: number, ended: boolean): Promise<{ mark: number; previous: number | null }>;
}

/** Taken before a read is sent; passed to remember(). */
export interface ReadMark {
  local: number;
  /** The shared counter, or undefined when there is none or Redis could not tell (then nothing is kept). */
  shared: number | undefined;
}

interface Entry {
  customer: Customer;
  at: number;
  /** The customer's latest shared write mark when this was read (replicas). */
  sharedMark: number | null;
}

export class RecentReads {
  private readonly entries = new Map<string, Entry>();
  /** Counts write starts and ends; a read remembers the count it began at. */
  private epoch = 0;
  /** The epoch of the latest write start or end per customer (bounded; see `forgottenUpTo`). */
  private readonly lastWrite = new Map<number, number>();
  /** Epochs at or below this may have been dropped from `lastWrite`: reads begun then are not kept. */
  private forgottenUpTo = -1;
  /**
   * Replicas: this process's writes under way, with the shared mark each one replaced. The
   * write's own start must not make its base stale (it holds the customer's lock, so nothing
   * else wrote in between).
   */
  private readonly openWrites = new Map<number, { mark: number; previous: number | null }>();

  private readonly now: () => number;
  /** Most entries kept; the oldest go first. */
  private readonly capacity: number;
  /** Replicas: writes of every replica, through Redis. */
  private readonly shared: SharedWriteEpochs | undefined;

  constructor(
    private readonly maxAgeMs: number,
    options: { now?: () => number; capacity?: number; shared?: SharedWriteEpochs } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.capacity = options.capacity ?? 10_000;
    this.shared = options.shared;
  }

  get enabled(): boolean {
    return this.maxAgeMs > 0;
  }

  /** To pass to remember(): taken before the read is sent. */
  async mark(): Promise<ReadMark> {
    const local = this.epoch;
    if (!this.enabled || !this.shared) return { local, shared: undefined };
    // Redis cannot tell: this read is not kept (it is still served; only the shortcut is lost).
    return { local, shared: await this.shared.counter().catch(() => undefined) };
  }

  /**
   * Remembers what was just read for the current request's client, unless a write to that
   * customer started or ended after `since` (the read may then predate it).
   */
  async remember(customers: readonly Customer[], since: ReadMark): Promise<void> {
    if (!this.enabled || since.local <= this.forgottenUpTo) return;
    // A base must carry attribute values, and no write of this process may have touched it since.
    let kept = customers
      .filter((c) => c.attributes !== undefined && (this.lastWrite.get(c.id) ?? -1) <= since.local)
      .map((customer) => ({ customer, sharedMark: null as number | null }));
    if (this.shared) {
      const sharedSince = since.shared;
      if (sharedSince === undefined || kept.length === 0) return;
      const latest = await this.shared.latest(kept.map((k) => k.customer.id)).catch(() => undefined);
      if (!latest) return;
      // Not while another replica's write is under way, nor when one started after the read's mark.
      kept = kept.flatMap((k, i) => {
        const mark = latest[i];
        return mark === null || (mark !== undefined && mark >= 0 && mark <= sharedSince) ? [{ ...k, sharedMark: mark }] : [];
      });
    }
    for (const { customer, sharedMark } of kept) {
      const key = this.key(customer.id);
      this.entries.delete(key);
      this.entries.set(key, { customer, at: this.now(), sharedMark });
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  /** The customer as read for this client within `maxAgeMs`, if any (and, with replicas, still current). */
  async recall(id: number): Promise<Customer | undefined> {
    if (!this.enabled) return undefined;
    const key = this.key(id);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    if (this.shared) {
      // Any replica's write since the read makes it stale; if Redis cannot tell, read again.
      let [latest] = (await this.shared.latest([id]).catch(() => undefined)) ?? [undefined];
      const own = this.openWrites.get(id);
      if (own && latest === own.mark) latest = own.previous;
      if (latest === undefined || latest !== entry.sharedMark) {
        this.entries.delete(key);
        return undefined;
      }
    }
    return entry.customer;
  }

  /**
   * A write to this customer starts (`ended` false: reads then under way are not kept, but what
   * was remembered before stays, as this write's base) or ends (and what any client remembers of
   * it is dropped).
   */
  async touch(id: number, ended: boolean): Promise<void> {
    if (!this.enabled) return;
    // Replicas: a write whose start cannot be noted in Redis does not happen (the error reaches
    // the request: 503); an end that cannot be noted leaves the start's mark, under which no
    // replica keeps or uses a read of this customer.
    if (this.shared) {
      if (ended) {
        this.openWrites.delete(id);
        await this.shared.touch(id, true).catch(() => undefined);
      } else {
        this.openWrites.set(id, await this.shared.touch(id, false));
      }
    }
    this.epoch += 1;
    this.lastWrite.delete(id);
    this.lastWrite.set(id, this.epoch);
    if (this.lastWrite.size > this.capacity) {
      const [oldest, at] = this.lastWrite.entries().next().value as [number, number];
      this.lastWrite.delete(oldest);
      this.forgottenUpTo = at;
    }
    if (!ended) return;
    const suffix = `\u0000${id}`;
    for (const key of [...this.entries.keys()]) if (key.endsWith(suffix)) this.entries.delete(key);
  }

  private key(id: number): string {
    return `${currentScope()?.client ?? ""}\u0000${id}`;
  }
}

/**
 * The per-customer write lock (in-process or shared by replicas), which also tells RecentReads
 * when a write to a customer starts and ends: the next write reads what this one left, whichever
 * writer (users, group membership) it was and however it ended.
 */
export class ForgettingLock implements WriteLock {
  constructor(
    private readonly recent: RecentReads,
    private readonly lock: WriteLock,
  ) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const id = Number(key);
    const touch = async (ended: boolean) => {
      if (Number.isSafeInteger(id)) await this.recent.touch(id, ended);
    };
    return this.lock.run(key, async () => {
      await touch(false);
      try {
        return await work();
      } finally {
        await touch(true);
      }
    });
  }
}
