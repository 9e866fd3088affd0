import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
import { addressKey, AddressThrottle, type AddressLimiter, type AddressThrottleSettings } from "../http/address-throttle.js";
import type { AddressLimitName, Keyspace } from "./keyspace.js";
import { LuaScript } from "./lua-script.js";

/**
 * A per-address limit shared by replicas: each event is one Lua script (INCR, and PEXPIRE when
 * the window starts), so N replicas together allow an address `limit` events per window, as one
 * process does, and every replica's Retry-After is the key's remaining life, the same window end.
 *
 * Memory: one small key per address and window, which Redis drops when the window ends (the
 * address is normalised by addressKey, as in-process, then hashed by the Keyspace).
 *
 * When Redis does not answer (down, or slower than REDIS_COMMAND_TIMEOUT_MS), the event is
 * counted by the process alone: the limit then holds per replica, as it does without Redis,
 * instead of refusing everyone (a limiter outage must not lock IdPs out) or nobody. The answer to
 * the client stays what it was (a failed authentication is still a 401 or 429, never a pass). The
 * process counts every event in its own bounded table all along, so that count is current the
 * moment Redis fails. One warning per outage.
 */

// KEYS: the address's count. ARGV: window ms. Returns {count in the window, ms until it ends}.
const HIT = new LuaScript(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  -- The first event of a window: the window ends when the key does.
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`);

const replySchema = z.tuple([z.number().int().positive(), z.number().int().nonnegative()]);

export class RedisAddressThrottle implements AddressLimiter {
  private readonly own: AddressThrottle;
  private fallingBack = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly name: AddressLimitName,
    private readonly settings: AddressThrottleSettings,
    private readonly logger: Logger,
    now?: () => number,
  ) {
    this.own = new AddressThrottle(settings, now);
  }

  async hit(address: string): Promise<number> {
    const ownWait = this.own.hit(address);
    let count: number;
    let ttlMs: number;
    try {
      const reply = await HIT.run(this.redis, [this.keys.addressCount(this.name, addressKey(address))], [this.settings.windowMs]);
      [count, ttlMs] = replySchema.parse(reply);
    } catch (err) {
      if (!this.fallingBack) {
        this.fallingBack = true;
        this.logger.warn(
          { limit: this.name, err: { message: (err as Error).message } },
          "Redis did not count a per-address limit's event: this replica counts on its own until Redis answers again",
        );
      }
      return ownWait;
    }
    if (this.fallingBack) {
      this.fallingBack = false;
      this.logger.info({ limit: this.name }, "per-address limit counted in Redis again");
    }
    // At least 1 ms past the limit: 0 means "within it".
    return count > this.settings.limit ? Math.max(1, ttlMs) : 0;
  }
}

/** A per-address limit: shared through Redis when there is one, else this process's own table. */
export function addressLimiter(
  name: AddressLimitName,
  settings: AddressThrottleSettings,
  shared: { redis: Redis; keys: Keyspace } | undefined,
  logger: Logger,
): AddressLimiter {
  return shared ? new RedisAddressThrottle(shared.redis, shared.keys, name, settings, logger.child({ component: "redis" })) : new AddressThrottle(settings);
}
