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
 * Followers send customers' data to the leader's address, so a claim is signed (HMAC) with a key
 * every replica of the store derives from the replica secret and Redis does not hold, and a
 * signed claim cannot be replayed into Redis to send traffic to an address that no longer leads:
 * - it carries an expiry (`exp`, one lease after it was signed; the leader signs it again at every
 *   renewal): a claim copied out of Redis names no leader once its lease is over, wherever it is
 *   written back;
 * - it carries an epoch, a counter in Redis that every new leader raises: a replica follows no
 *   claim with a lower epoch than one it has already seen, so an old claim written back before
 *   its expiry is not followed either by any replica that saw its successor;
 * - it is read from Redis at every renewal (a third of a lease), and the view it gives lasts at
 *   most one lease and never past the claim's own expiry.
 * A claim that fails any of these names no leader: requests are served where they arrive.
 */

// KEYS: leader, epoch. ARGV: our id, the epoch we hold ("0": none), our renewed claim ("" when
// none), lease ms, the highest epoch we have seen.
// Returns {"renewed", claim} (we lead), {"free", epoch} (nobody leads: sign a claim with this
// epoch and TAKE it) or {"held", claim}. A claim without an expiry was not written by a replica
// (they always lease): the lead counts as free.
const CLAIM = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current and ARGV[3] ~= '' then
  local ok, c = pcall(cjson.decode, current)
  if ok and type(c) == 'table' and c.id == ARGV[1] and tostring(c.epoch) == ARGV[2] then
    redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
    return {'renewed', ARGV[3]}
  end
end
if not current or redis.call('PTTL', KEYS[1]) < 0 then
  local epoch = redis.call('INCR', KEYS[2])
  local seen = tonumber(ARGV[5])
  if epoch <= seen then
    epoch = seen + 1
    redis.call('SET', KEYS[2], epoch)
  end
  return {'free', tostring(epoch)}
end
return {'held', current}
`);

// KEYS: leader. ARGV: our new claim, lease ms. Takes the lead if it is still free.
const TAKE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('PTTL', KEYS[1]) >= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

// KEYS: leader. ARGV: our id.
const RESIGN = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if not current then return 1 end
local ok, c = pcall(cjson.decode, current)
if ok and type(c) == 'table' and c.id == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

const claimSchema = z.object({
  id: z.string().min(1).max(64),
  url: z.url({ protocol: /^https?$/ }),
  epoch: z.number().int().min(1),
  exp: z.number().int().min(0),
  sig: z.string().min(1),
});
type Claim = z.infer<typeof claimSchema>;

export interface Leader {
  url: string;
  self: boolean;
  /** The leader's replica id: a hop passed to it is bound to it (src/http/replica-hop.ts). */
  id: string;
  epoch: number;
}

const replyOf = z.tuple([z.enum(["renewed", "free", "held"]), z.string()]);

export class ReplicaLeadership {
  /** This process's replica id, random per start. */
  readonly id = randomBytes(9).toString("base64url");
  private url: string | undefined;
  /** The epoch of the lead we hold, if we hold it. */
  private heldEpoch: number | undefined;
  /** The highest epoch seen in a genuine claim: a lower one is an old claim. */
  private highestEpoch = 0;
  private known: { leader: Leader; until: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  /** stop() ran: for good, also for a start() that comes after it. */
  private stopped = false;

  private readonly key: Buffer;
  private warnedForged = false;
  private warnedOld = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly logger: Logger,
    /** Shared by every replica of the store and not kept in Redis (REPLICA_SECRET, else the BigCommerce access token). */
    secret: string,
    private readonly leaseMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createHmac("sha256", "scim-bridge replica leadership").update(secret).digest();
  }

  /** Takes part from now on, reachable by the other replicas at `ownUrl` (after listening). */
  async start(ownUrl: string): Promise<void> {
    // Stopped before it started: compose.ts starts it once the bridge answers at its address,
    // and the bridge can be closed meanwhile (its tenant changed or removed during that check).
    if (this.stopped) return;
    this.url = ownUrl.replace(/\/$/, "");
    await this.tick();
    if (this.url === undefined) {
      // Stopped while this first claim was on its way (its tenant removed, the process stopping):
      // no renewals, which would run for good, and no claim left behind stop()'s resignation.
      await RESIGN.run(this.redis, [this.keys.leader()], [this.id]).catch(() => undefined);
      return;
    }
    if (this.timer !== undefined) return; // started twice: one renewal loop
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  /** Gives the lead up (shutdown), so another replica takes it at once instead of after the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const started = this.url !== undefined;
    this.url = undefined;
    this.heldEpoch = undefined;
    this.known = undefined;
    if (started) await RESIGN.run(this.redis, [this.keys.leader()], [this.id]).catch(() => undefined);
  }

  /** The leader as last seen, while that view can still be right (at most one lease old, never past the claim's expiry). */
  leader(now = this.now()): Leader | undefined {
    if (!this.known || now > this.known.until) return undefined;
    return this.known.leader;
  }

  private signed(epoch: number): string {
    const url = this.url!;
    const exp = this.now() + this.leaseMs;
    const claim: Omit<Claim, "sig"> = { id: this.id, url, epoch, exp };
    return JSON.stringify({ ...claim, sig: this.sign(claim) });
  }

  private sign(claim: Omit<Claim, "sig">): string {
    return createHmac("sha256", this.key).update(`${claim.id}\u0000${claim.url}\u0000${claim.epoch}\u0000${claim.exp}`).digest("base64url");
  }

  private async tick(): Promise<void> {
    if (this.url === undefined) return;
    const startedAt = this.now();
    try {
      const held = this.heldEpoch;
      const renewal = held === undefined ? "" : this.signed(held);
      const reply = replyOf.parse(
        await shared("claiming the lead", () =>
          CLAIM.run(this.redis, [this.keys.leader(), this.keys.leaderEpoch()], [this.id, String(held ?? 0), renewal, this.leaseMs, this.highestEpoch]),
        ),
      );
      // Stopped while the claim was on its way: take nothing and learn nothing (stop() cleared
      // the view), or a claim without our address would be written after stop()'s resignation.
      if (this.url === undefined) return;
      let current = reply[1];
      if (reply[0] === "free") {
        const claim = this.signed(Number(reply[1]));
        const taken = await shared("claiming the lead", () => TAKE.run(this.redis, [this.keys.leader()], [claim, this.leaseMs]));
        // Another replica took it between the two scripts: follow it from the next renewal on.
        if (Number(taken) !== 1) {
          this.heldEpoch = undefined;
          this.known = undefined;
          return;
        }
        current = claim;
      }
      const claim = this.genuine(current);
      this.heldEpoch = claim !== undefined && claim.id === this.id ? claim.epoch : undefined;
      this.known =
        claim === undefined
          ? undefined
          : { leader: { url: claim.url, self: claim.id === this.id, id: claim.id, epoch: claim.epoch }, until: Math.min(startedAt + this.leaseMs, claim.exp) };
      if (this.failing) this.logger.info("leadership known again");
      this.failing = false;
    } catch (err) {
      // Without Redis, which replica leads is unknown: each serves its own requests (the
      // view above runs out within a lease), exactly as without leadership.
      if (!this.failing) this.logger.warn({ err: { message: (err as Error).message } }, "cannot reach Redis to renew leadership; serving requests here");
      this.failing = true;
    }
  }

  /** The claim, if a replica of this store signed it, it has not expired and no newer epoch was seen. */
  private genuine(stored: string): Claim | undefined {
    const parsed = claimSchema.safeParse(parseStoredJson(stored));
    if (!parsed.success || !sameString(this.sign(parsed.data), parsed.data.sig)) {
      if (!this.warnedForged) {
        this.warnedForged = true;
        this.logger.warn("the leadership claim in Redis is not signed by a replica of this store (another configuration, or written by hand); serving requests here");
      }
      return undefined;
    }
    const claim = parsed.data;
    if (claim.exp <= this.now()) return undefined; // an old claim written back: its lease is over
    if (claim.epoch < this.highestEpoch) {
      if (this.warnedOld !== claim.epoch) {
        this.warnedOld = claim.epoch;
        this.logger.warn({ epoch: claim.epoch, highestSeen: this.highestEpoch }, "the leadership claim in Redis is older than one already seen (replayed?); serving requests here");
      }
      return undefined;
    }
    this.highestEpoch = claim.epoch;
    return claim;
  }
}
