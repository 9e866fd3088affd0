import { createHash } from "node:crypto";

/** The per-address limits counted in Redis: failed SCIM authentications, storefront sign-in requests. */
export type AddressLimitName = "auth-failures" | "sign-ins";

/**
 * Every key the bridge writes to Redis, in one place: namespaced by store hash, so that bridges
 * for several stores can share one Redis, and hash-tagged (`{store}`) so that one store's keys
 * live on one Redis Cluster slot (its Lua scripts touch several of them at once).
 */
export class Keyspace {
  private readonly prefix: string;

  constructor(storeHash: string) {
    this.prefix = `scim-bridge:{${storeHash}}`;
  }

  /**
   * The keys of a tenants process's front (src/tenants/front.ts), which counts failed
   * authentications for all its tenants together. Store hashes are alphanumeric, so this
   * namespace is no store's.
   */
  static tenantsFront(): Keyspace {
    return new Keyspace("tenants-front");
  }

  /**
   * One client address's count in a per-address limit's window (it expires with the window).
   * The address (normalised: http/address-throttle.ts addressKey) is hashed: Redis holds no
   * client address, and a key's length does not depend on what a header said.
   */
  addressCount(limit: AddressLimitName, addressKey: string): string {
    return `${this.prefix}:limit:${limit}:${createHash("sha256").update(addressKey).digest("hex").slice(0, 32)}`;
  }

  /** The per-user write lock's lease. */
  lock(resource: string): string {
    return `${this.prefix}:lock:${resource}`;
  }

  /**
   * The counter that numbers one lock's leases (monotonic across them; the key keeps its first
   * name, so replicas of different versions share it). The numbers are no fence: see redis-lock.ts.
   */
  leaseCounter(resource: string): string {
    return `${this.prefix}:fence:${resource}`;
  }

  /** A create without a definite answer; the email is hashed so Redis holds no customer email. */
  unsettledCreate(emailKey: string): string {
    return `${this.prefix}:unsettled:${createHash("sha256").update(emailKey).digest("hex")}`;
  }

  /** externalId index entries written behind and not yet confirmed (the index key is a hash). */
  pendingIndexEntry(indexKey: string): string {
    return `${this.prefix}:index-pending:${indexKey}`;
  }

  /** The store-wide write counter and each customer's latest write mark (recent reads across replicas). */
  writeCounter(): string {
    return `${this.prefix}:writes`;
  }

  writeMark(customerId: number): string {
    return `${this.prefix}:writes:${customerId}`;
  }

  /** A group created for a POST /Groups that then failed (hashed lower-case displayName). */
  unfinishedGroupCreate(nameHash: string): string {
    return `${this.prefix}:group-unfinished:${nameHash}`;
  }

  /** Which replica leads (serves SCIM for the others, so that batches form in one process). */
  leader(): string {
    return `${this.prefix}:leader`;
  }

  /** The last leadership epoch handed out (a counter, no expiry): every new leader's claim carries a higher one. */
  leaderEpoch(): string {
    return `${this.prefix}:leader:epoch`;
  }

  /** The store's quota ledger (a hash) and its permits in flight (a sorted set by expiry). */
  quota(): string {
    return `${this.prefix}:quota`;
  }

  quotaInFlight(): string {
    return `${this.prefix}:quota:in-flight`;
  }
}
