import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { toCustomerGroupId, type CustomerGroupId } from "../bigcommerce/index.js";
import type { UnfinishedGroupCreates } from "../scim/groups/unfinished-group-creates.js";
import type { Keyspace } from "./keyspace.js";
import { shared } from "./redis-connection.js";

/**
 * Unfinished group creates shared by replicas (src/scim/groups/unfinished-group-creates.ts): one
 * key per hashed lower-case displayName holding the group id, kept for `ttlMs` (an IdP retries a
 * failed request within minutes).
 */
export class RedisUnfinishedGroupCreates implements UnfinishedGroupCreates {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly ttlMs = 60 * 60_000,
  ) {}

  private key(name: string): string {
    return this.keys.unfinishedGroupCreate(createHash("sha256").update(name).digest("hex"));
  }

  async get(name: string): Promise<CustomerGroupId | undefined> {
    const raw = await shared("recalling an unfinished group create", () => this.redis.get(this.key(name)));
    return raw === null ? undefined : (toCustomerGroupId(Number(raw)) ?? undefined);
  }

  async set(name: string, groupId: CustomerGroupId): Promise<void> {
    await shared("remembering an unfinished group create", () => this.redis.set(this.key(name), String(groupId), "PX", this.ttlMs));
  }

  async delete(name: string): Promise<void> {
    await shared("forgetting an unfinished group create", () => this.redis.del(this.key(name)));
  }
}
