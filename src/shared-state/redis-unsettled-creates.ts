import type { Redis } from "ioredis";
import { z } from "zod";
import { UNSETTLED_MEMORY_MS, type UnsettledCreate, type UnsettledCreates } from "../bigcommerce/unsettled-creates.js";
import type { Keyspace } from "./keyspace.js";
import { LuaScript } from "./lua-script.js";
import { parseStoredJson } from "./json-record.js";
import { shared } from "./redis-connection.js";

/**
 * Creates without a definite answer, shared by replicas: one Redis key per email (hashed, see
 * Keyspace), expiring after the memory span, so an IdP retry that lands on another replica is
 * recognised. Noting a create again merges atomically (a Lua script) with the rule of
 * mergeUnsettled: same names keep the earliest first attempt.
 */

// KEYS: record. ARGV: first_name, last_name, firstAttemptAt, ttl ms.
const REMEMBER = new LuaScript(`
local firstAttemptAt = tonumber(ARGV[3])
local raw = redis.call('GET', KEYS[1])
if raw then
  local ok, before = pcall(cjson.decode, raw)
  if ok and type(before) == 'table' and before.first_name == ARGV[1] and before.last_name == ARGV[2]
     and tonumber(before.firstAttemptAt) and tonumber(before.firstAttemptAt) < firstAttemptAt then
    firstAttemptAt = tonumber(before.firstAttemptAt)
  end
end
redis.call('SET', KEYS[1], cjson.encode({ first_name = ARGV[1], last_name = ARGV[2], firstAttemptAt = firstAttemptAt }), 'PX', ARGV[4])
return 1
`);

const recordSchema = z.object({ first_name: z.string(), last_name: z.string(), firstAttemptAt: z.number() });

export class RedisUnsettledCreates implements UnsettledCreates {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly memoryMs = UNSETTLED_MEMORY_MS,
  ) {}

  async remember(emailKey: string, attempt: UnsettledCreate, _at: number): Promise<void> {
    // Redis's own expiry keeps the memory span; `_at` matters only to the in-process store.
    await shared("remembering a create", () =>
      REMEMBER.run(this.redis, [this.keys.unsettledCreate(emailKey)], [attempt.first_name, attempt.last_name, attempt.firstAttemptAt, this.memoryMs]),
    );
  }

  async recall(emailKey: string, _now: number): Promise<UnsettledCreate | undefined> {
    const raw = await shared("recalling a create", () => this.redis.get(this.keys.unsettledCreate(emailKey)));
    if (raw === null) return undefined;
    const parsed = recordSchema.safeParse(parseStoredJson(raw));
    // A record we cannot read proves nothing about this customer: treat it as not ours.
    return parsed.success ? parsed.data : undefined;
  }

  async forget(emailKey: string): Promise<void> {
    await shared("forgetting a create", () => this.redis.del(this.keys.unsettledCreate(emailKey)));
  }
}
