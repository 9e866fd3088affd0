import type { CustomerId } from "../../bigcommerce/index.js";

/**
 * externalId index entries written behind (after the create was answered) and not yet confirmed
 * in BigCommerce, keyed by the index key (a hash of the externalId, never the value itself).
 * Lookups consult them, so `externalId eq` finds a user the moment its create is answered. In
 * this process by default; replicas share them through Redis (src/shared-state), so a lookup
 * on another replica finds the entry as well and creates can be written behind there too.
 */
export interface PendingIndexEntries {
  add(key: string, customerId: CustomerId): Promise<void>;
  remove(key: string, customerId: CustomerId): Promise<void>;
  lookup(key: string): Promise<CustomerId[]>;
}

export class InProcessPendingIndex implements PendingIndexEntries {
  private readonly entries = new Map<string, Set<CustomerId>>();

  async add(key: string, customerId: CustomerId): Promise<void> {
    const ids = this.entries.get(key) ?? new Set<CustomerId>();
    ids.add(customerId);
    this.entries.set(key, ids);
  }

  async remove(key: string, customerId: CustomerId): Promise<void> {
    const ids = this.entries.get(key);
    if (!ids) return;
    ids.delete(customerId);
    if (ids.size === 0) this.entries.delete(key);
  }

  async lookup(key: string): Promise<CustomerId[]> {
    return [...(this.entries.get(key) ?? [])];
  }
}
