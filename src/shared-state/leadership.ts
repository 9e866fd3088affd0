import { createHmac, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { sameString } from "../constant-time.js";
import type { Logger } from "pino";
import { z } from "zod";
import { LuaScript } from "./lua-script.js";
import { parseStoredJson } from "./json-record.js";
import { shared } from "./redis-connection.js";
import type { Keyspace } from "./keyspace.js";

/**
 * Which replica of a store leads. The store's quota, not the bridge, bounds throughput (150
 * requests per 30 s), so one process can serve every IdP request; what replicas add is
 * availability. Batches only fill when concurrent work meets in one process, so followers pass
 * SCIM requests to the leader (src/http/forward-to-leader.ts) and the store pays for full calls
 * as with a single replica. Nothing depends on it for correctness: every replica keeps using
 * the shared lock, quota, unsettled creates and pending index, so when leadership is unknown,
 * changing hands or the leader unreachable, each replica serves its requests itself.
 *
 * A lease in Redis: the leader renews it every third of a lease; when it stops (crash, Redis
 * trouble), the key expires and the next replica to look claims it. A replica that stops on
 * purpose gives it up at once.
 *
 * Followers send the IdP's bearer token and customers' data to the leader's address, so a claim
 * is signed (HMAC) with a secret every replica of the store has and Redis alone does not: a claim
 * someone else wrote into Redis names no leader, and requests are served where they arrive.
 */

// KEYS: leader. ARGV: our claim, lease ms. Returns the current claim (ours if we lead now).
// A claim without an expiry was not written by a replica (they always lease): it is replaced.
const CLAIM = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return current
end
if not current or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return current
`);

// KEYS: leader. ARGV: our claim.
const RESIGN = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

const claimSchema = z.object({ id: z.string().min(1).max(64), url: z.url({ protocol: /^https?$/ }), sig: z.string().min(1) });

export interface Leader {
  url: string;
  self: boolean;
}

export class ReplicaLeadership {
  private readonly id = randomBytes(9).toString("base64url");
  private claim: string | undefined;
  private known: { leader: Leader; until: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  private readonly key: Buffer;
  private warnedForged = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly logger: Logger,
    /** Shared by every replica of the store and not kept in Redis (the BigCommerce access token). */
    secret: string,
    private readonly leaseMs = 5_000,
  ) {
    this.key = createHmac("sha256", "scim-bridge replica leadership").update(secret).digest();
  }

  /** Takes part from now on, reachable by the other replicas at `ownUrl` (after listening). */
  async start(ownUrl: string): Promise<void> {
    const url = ownUrl.replace(/\/$/, "");
    this.claim = JSON.stringify({ id: this.id, url, sig: this.sign(this.id, url) });
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  /** Gives the lead up (shutdown), so another replica takes it at once instead of after the lease. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const claim = this.claim;
    this.claim = undefined;
    this.known = undefined;
    if (claim) await RESIGN.run(this.redis, [this.keys.leader()], [claim]).catch(() => undefined);
  }

  /** The leader as last seen, while that view can still be right (at most one lease old). */
  leader(now = Date.now()): Leader | undefined {
    if (!this.known || now > this.known.until) return undefined;
    return this.known.leader;
  }

  private sign(id: string, url: string): string {
    return createHmac("sha256", this.key).update(`${id}\u0000${url}`).digest("base64url");
  }

  private verify(id: string, url: string, sig: string): boolean {
    return sameString(this.sign(id, url), sig);
  }

  private async tick(): Promise<void> {
    const claim = this.claim;
    if (!claim) return;
    const startedAt = Date.now();
    try {
      const current = await shared("claiming the lead", () => CLAIM.run(this.redis, [this.keys.leader()], [claim, this.leaseMs]));
      const parsed = claimSchema.safeParse(parseStoredJson(String(current)));
      const genuine = parsed.success && this.verify(parsed.data.id, parsed.data.url, parsed.data.sig);
      // A claim we cannot read or that no replica signed names no leader: serve here meanwhile.
      this.known = genuine ? { leader: { url: parsed.data.url, self: parsed.data.id === this.id }, until: startedAt + this.leaseMs } : undefined;
      if (!genuine && !this.warnedForged) {
        this.warnedForged = true;
        this.logger.warn("the leadership claim in Redis is not signed by a replica of this store (another configuration, or written by hand); serving requests here");
      }
      if (this.failing) this.logger.info("leadership known again");
      this.failing = false;
    } catch (err) {
      // Without Redis, which replica leads is unknown: each serves its own requests (the
      // view above runs out within a lease), exactly as without leadership.
      if (!this.failing) this.logger.warn({ err: { message: (err as Error).message } }, "cannot reach Redis to renew leadership; serving requests here");
      this.failing = true;
    }
  }
}
