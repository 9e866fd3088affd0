import type { Customer } from "../../bigcommerce/api.js";
import { currentScope } from "../../http/request-scope.js";
import { KeyedLock } from "../keyed-lock.js";

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
 */
export class RecentReads {
  private readonly entries = new Map<string, { customer: Customer; at: number }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    /** Most entries kept; the oldest go first. */
    private readonly capacity = 10_000,
  ) {}

  get enabled(): boolean {
    return this.maxAgeMs > 0;
  }

  /** Remembers what was just read or written for the current request's client. */
  remember(customer: Customer): void {
    if (!this.enabled || customer.attributes === undefined) return; // a base must carry attribute values
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

  /** Drops what any client remembers of this customer (a write failed, or it was deleted). */
  forget(id: number): void {
    const suffix = `\u0000${id}`;
    for (const key of [...this.entries.keys()]) if (key.endsWith(suffix)) this.entries.delete(key);
  }

  private key(id: number): string {
    return `${currentScope()?.client ?? ""}\u0000${id}`;
  }
}

/**
 * The per-customer write lock (keyed-lock.ts), which also drops every remembered read of a
 * customer when a write to it ends: the next write reads what this one left, whichever writer
 * (users, group membership) it was and however it ended.
 */
export class ForgettingLock extends KeyedLock {
  constructor(private readonly recent: RecentReads) {
    super();
  }

  override run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return super.run(key, async () => {
      try {
        return await work();
      } finally {
        const id = Number(key);
        if (Number.isSafeInteger(id)) this.recent.forget(id);
      }
    });
  }
}
