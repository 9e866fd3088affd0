import type { Redis } from "ioredis";
import { toCustomerId, type CustomerId } from "../bigcommerce/index.js";
import type { PendingIndexEntries } from "../scim/users/pending-index.js";
import type { Keyspace } from "./keyspace.js";
import { shared } from "./redis-connection.js";

/**
 * externalId index entries written behind, shared by replicas: one Redis set of customer ids
 * per index key (the key is already a hash of the externalId, so Redis holds no externalId).
 * A set lives as long as the start-up repair looks back (SCIM_INDEX_REPAIR_HOURS): if the
 * replica writing the entry dies, lookups on the others still find the user until a start-up
 * repair writes the entry for good.
 */
export class RedisPendingIndex implements PendingIndexEntries {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly ttlMs: number,
  ) {}

  async add(key: string, customerId: CustomerId): Promise<void> {
    const k = this.keys.pendingIndexEntry(key);
    await shared("noting a pending index entry", () => this.redis.multi().sadd(k, String(customerId)).pexpire(k, this.ttlMs).exec());
  }

  async remove(key: string, customerId: CustomerId): Promise<void> {
    await shared("clearing a pending index entry", () => this.redis.srem(this.keys.pendingIndexEntry(key), String(customerId)));
  }

  async lookup(key: string): Promise<CustomerId[]> {
    const members = await shared("reading pending index entries", () => this.redis.smembers(this.keys.pendingIndexEntry(key)));
    return members.map((m) => toCustomerId(Number(m))).filter((id): id is CustomerId => id !== null);
  }
}
