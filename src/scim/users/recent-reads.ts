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
 * What it does not cover: a change made outside this process (the control panel, another app,
 * another replica) in the moments between an IdP's read and its write. Such a field keeps the
 * other writer's value unless the IdP's request changes it relative to what the IdP read. With
 * replicas (REDIS_URL) app.ts turns this off, because another replica's writes cannot drop it.
 */
export class RecentReads {
  private readonly entries = new Map<string, { customer: Customer; at: number }>();
  /** Counts write starts and ends; a read remembers the count it began at. */
  private epoch = 0;
  /** The epoch of the latest write start or end per customer (bounded; see `forgottenUpTo`). */
  private readonly lastWrite = new Map<number, number>();
  /** Epochs at or below this may have been dropped from `lastWrite`: reads begun then are not kept. */
  private forgottenUpTo = -1;

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    /** Most entries kept; the oldest go first. */
    private readonly capacity = 10_000,
  ) {}

  get enabled(): boolean {
    return this.maxAgeMs > 0;
  }

  /** To pass to remember(): taken before the read is sent. */
  mark(): number {
    return this.epoch;
  }

  /**
   * Remembers what was just read for the current request's client, unless a write to that
   * customer started or ended after `since` (the read may then predate it).
   */
  remember(customer: Customer, since: number): void {
    if (!this.enabled || customer.attributes === undefined) return; // a base must carry attribute values
    if (since <= this.forgottenUpTo || (this.lastWrite.get(customer.id) ?? -1) > since) return;
    const key = this.key(customer.id);
    this.entries.delete(key);
    this.entries.set(key, { customer, at: this.now() });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The customer as read for this client within `maxAgeMs`, if any. */
  recall(id: number): Customer | undefined {
    if (!this.enabled) return undefined;
    const key = this.key(id);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.customer;
  }

  /**
   * A write to this customer starts (`ended` false: reads then under way are not kept, but what
   * was remembered before stays, as this write's base) or ends (and what any client remembers of
   * it is dropped).
   */
  touch(id: number, ended: boolean): void {
    if (!this.enabled) return;
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
    const touch = (ended: boolean) => {
      if (Number.isSafeInteger(id)) this.recent.touch(id, ended);
    };
    return this.lock.run(key, async () => {
      touch(false);
      try {
        return await work();
      } finally {
        touch(true);
      }
    });
  }
}
