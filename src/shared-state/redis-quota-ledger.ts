import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { ResponseInfo } from "../bigcommerce/governor.js";
import { UNLIMITED_AFTER } from "../bigcommerce/governor.js";
import { isConcurrencyLimited429, parseRateHeaders, type BackoffBounds } from "../bigcommerce/rate-headers.js";
import { DEFAULT_BARE_429 } from "../bigcommerce/retry-policy.js";
import type { Keyspace } from "./keyspace.js";
import { LuaScript } from "./lua-script.js";
import { shared } from "./redis-connection.js";

/**
 * The store's quota ledger shared by replicas: the RateGovernor's state (quota, requests left,
 * window reset, backoff after a 429, requests in flight, the window probe) lives in one Redis
 * hash, and every decision is one Lua script, so N replicas together take slots exactly as one
 * governor would (same rules as src/bigcommerce/governor.ts, incl. in-flight accounting and the
 * reserve for other apps).
 *
 * Permits in flight are a sorted set scored by expiry: a replica that dies holding permits
 * loses them after `permitTtlMs` (keep it above the request timeout), so a crash cannot shrink
 * the store's budget for good.
 *
 * `now` is each replica's clock (ms): replicas must keep their clocks in sync (NTP). A replica
 * whose clock runs ahead rolls a window early; the window probe (one request, whose answer's
 * headers replace the estimate) bounds that to one request.
 *
 * SharedQuotaGate (shared-quota-gate.ts) puts it behind the governor's acquire → Permit →
 * release interface for the client's admission gate.
 */

export interface QuotaLedgerOptions {
  /** Requests per window left untouched for other apps sharing the store's quota. */
  reserve?: number;
  /** Quota to assume before the first response (otherwise a single probe request goes first). */
  assumedQuota?: number;
  /** Window to assume until the headers tell (BigCommerce: 30 s). */
  assumedWindowMs?: number;
  /** Backoff for 429s without rate headers. */
  bare429?: BackoffBounds;
  /** Longest a permit counts as in flight (its holder may have died); above the request timeout. */
  permitTtlMs: number;
  /** Expiry of the ledger's keys, renewed on every use. */
  stateTtlMs?: number;
  /** Share of the quota that may go in one burst; the rest is paced (src/bigcommerce/pacing.ts). 0 or absent: none. */
  paceBurstShare?: number;
}

export type Take =
  /** fillForMs: as the governor's (pacing.ts fillWindowMs). */
  | { granted: true; permitId: string; windowProbe: boolean; fillForMs: number }
  /** waitUntil: the next foreseeable change (clock ms); undefined = when a request in flight answers. */
  | { granted: false; waitUntil: number | undefined };

export interface LedgerState {
  learned: boolean;
  unlimited: boolean;
  quota: number | undefined;
  left: number | undefined;
  windowMs: number | undefined;
  resetAt: number | undefined;
  inFlight: number;
  blockedUntil: number;
}

const COMMON = `
local S, F = KEYS[1], KEYS[2]
local function num(field)
  local v = redis.call('HGET', S, field)
  if v then return tonumber(v) end
  return nil
end
local function touch(ttl)
  redis.call('PEXPIRE', S, ttl)
  if redis.call('EXISTS', F) == 1 then redis.call('PEXPIRE', F, ttl) end
end
`;

// KEYS: state, in-flight. ARGV: now, permit id, reserve, permit ttl, state ttl, assumed quota (0 = none), assumed window,
// pacing burst share (0 = no pacing).
// Returns {1, probe(0/1), fill window ms} when granted, {0, waitUntil or -1} otherwise.
const TAKE = new LuaScript(`${COMMON}
local now, id = tonumber(ARGV[1]), ARGV[2]
local reserveCfg, permitTtl, stateTtl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local assumedQuota, assumedWindow = tonumber(ARGV[6]), tonumber(ARGV[7])
local burstShare = tonumber(ARGV[8])

-- Permits whose holder died (or never answered in time) stop counting.
redis.call('ZREMRANGEBYSCORE', F, '-inf', now)
if redis.call('EXISTS', S) == 0 then
  if assumedQuota > 0 then
    redis.call('HSET', S, 'learned', 1, 'quota', assumedQuota, 'left', assumedQuota, 'windowMs', assumedWindow,
      'resetAt', now + assumedWindow, 'probePending', 1)
  else
    redis.call('HSET', S, 'windowMs', assumedWindow)
  end
end
local probeId = redis.call('HGET', S, 'probeId')
if probeId and not redis.call('ZSCORE', F, probeId) then
  -- The probe's holder died: another request may probe the window.
  redis.call('HDEL', S, 'probeId')
end
local inFlight = redis.call('ZCARD', F)

local function grant(isProbe, fillMs)
  redis.call('ZADD', F, now + permitTtl, id)
  if isProbe then redis.call('HSET', S, 'probeId', id) end
  touch(stateTtl)
  return {1, isProbe and 1 or 0, fillMs or 0}
end
local function wait(untilMs)
  touch(stateTtl)
  return {0, untilMs or -1}
end

local blockedUntil = num('blockedUntil') or 0
if now < blockedUntil then return wait(blockedUntil) end
if num('learned') ~= 1 then
  -- Nothing known yet: one request at a time until an answer teaches us the budget.
  if inFlight == 0 then return grant(false) end
  return wait(nil)
end
if num('unlimited') == 1 then return grant(false) end

local quota, left, resetAt = num('quota'), num('left'), num('resetAt')
local windowMs = num('windowMs') or assumedWindow
if resetAt and quota and now >= resetAt then
  -- Our own estimate of the next window; the next answer's headers replace it.
  left = quota
  resetAt = now + windowMs
  redis.call('HSET', S, 'left', left, 'resetAt', resetAt, 'resetConfirmed', 0, 'probePending', 1)
end
-- A reserve as large as the quota would stop us for good: always keep one request for us.
local reserve = math.min(reserveCfg, math.max(0, (quota or 1) - 1))
if (left or 0) - inFlight - reserve <= 0 then return wait(resetAt) end
local fillMs = 0
if burstShare > 0 and quota and resetAt then
  -- Pacing: the same rules as nextPacedSlot() and fillWindowMs() in src/bigcommerce/pacing.ts
  -- (keep them in step).
  local perWindow = math.max(1, quota - reserve)
  local burst = math.max(1, math.ceil(perWindow * burstShare))
  local slotMs = windowMs / perWindow
  local windowStart = resetAt - windowMs
  local spent = quota - (left or 0) + inFlight
  if spent >= burst + math.floor(math.max(0, now - windowStart) / slotMs) then
    return wait(math.floor(windowStart + (spent - burst + 1) * slotMs))
  end
  if spent >= burst and math.floor(math.max(0, now - windowStart) / slotMs) <= spent then fillMs = math.floor(slotMs / 2) end
end
if num('probePending') == 1 then
  if redis.call('HEXISTS', S, 'probeId') == 1 then return wait(nil) end
  return grant(true)
end
return grant(false, fillMs)
`);

// KEYS: state, in-flight. ARGV: now, permit id, answered (0/1), status, left, reset ms, quota, window ms
// (-1 = header absent), 429 kind ('quota' | 'concurrency' | ''), 429 wait from headers (-1 = none),
// bare 429 base ms, bare 429 max ms, unlimited-after, state ttl.
const RELEASE = new LuaScript(`${COMMON}
local now, id, answered, status = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local hLeft, hReset, hQuota, hWindow = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local kind429, headerWait = ARGV[9], tonumber(ARGV[10])
local bareBase, bareMax, unlimitedAfter, stateTtl = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])

redis.call('ZREM', F, id)
if redis.call('HGET', S, 'probeId') == id then
  -- Whatever the probe learned (or not), the window is known as well as it will be.
  redis.call('HDEL', S, 'probeId')
  redis.call('HSET', S, 'probePending', 0)
end

if answered == 1 and status == 429 and kind429 == 'concurrency' then
  -- A per-endpoint concurrency cap, not the quota: the transport backs off that endpoint only.
elseif answered == 1 and status == 429 then
  local bare = num('bare429s') or 0
  local waitMs
  if headerWait >= 0 then
    waitMs = headerWait
    bare = 0
  else
    bare = bare + 1
    waitMs = math.min(bareMax, bareBase * 2 ^ (bare - 1))
  end
  redis.call('HSET', S, 'bare429s', bare, 'blockedUntil', math.max(num('blockedUntil') or 0, now + waitMs))
elseif answered == 1 then
  redis.call('HSET', S, 'bare429s', 0)
end

local learned, unlimited = num('learned') == 1, num('unlimited') == 1
if hLeft >= 0 and hReset >= 0 then
  redis.call('HSET', S, 'headerless', 0, 'learned', 1, 'unlimited', 0)
  local windowMs = num('windowMs') or 30000
  if hWindow > 0 then windowMs = hWindow end
  local curQuota, curLeft, curReset = num('quota'), num('left'), num('resetAt')
  local quota = hQuota
  if quota < 0 then quota = math.max(curQuota or 0, hLeft + 1) end
  local newReset = now + hReset
  local half = windowMs / 2
  local left, resetAt = hLeft, newReset
  if num('resetConfirmed') ~= 1 or curReset == nil or curLeft == nil or newReset > curReset + half then
    -- A new window (or the first real news after our own estimate).
  elseif newReset >= curReset - half then
    -- Same window: answers arrive out of order, and what is left only shrinks in a window.
    left = math.min(curLeft, hLeft)
    resetAt = math.max(curReset, newReset)
  else
    -- A late answer from an earlier window: it says nothing about this one; count it as spent.
    left = math.max(0, curLeft - 1)
    resetAt = curReset
  end
  redis.call('HSET', S, 'windowMs', windowMs, 'quota', quota, 'left', left, 'resetAt', resetAt, 'resetConfirmed', 1)
elseif answered == 1 and status >= 200 and status < 300 and not learned then
  -- Only after several header-less successes in a row: this store announces no budget.
  local headerless = (num('headerless') or 0) + 1
  redis.call('HSET', S, 'headerless', headerless)
  if headerless >= unlimitedAfter then redis.call('HSET', S, 'learned', 1, 'unlimited', 1) end
elseif learned and not unlimited and num('left') then
  -- No usable information about this request: count it as spent, to stay on the safe side.
  redis.call('HSET', S, 'left', math.max(0, num('left') - 1))
end
touch(stateTtl)
return 1
`);

// KEYS: state, in-flight. ARGV: until, state ttl.
const NOTE_429 = new LuaScript(`${COMMON}
local untilMs = tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', S, 'blockedUntil') or '0')
if untilMs > blocked then redis.call('HSET', S, 'blockedUntil', untilMs) end
touch(tonumber(ARGV[2]))
return 1
`);

// KEYS: state, in-flight. ARGV: permit id, state ttl. A slot taken and never used (a batch queue
// found nothing left to send): stop counting it, spend nothing; an unused probe taught nothing,
// so the next take probes again (probePending stays as it is).
const GIVE_BACK = new LuaScript(`${COMMON}
local id = ARGV[1]
redis.call('ZREM', F, id)
if redis.call('HGET', S, 'probeId') == id then redis.call('HDEL', S, 'probeId') end
touch(tonumber(ARGV[2]))
return 1
`);

const int = (n: number | undefined) => (n === undefined ? -1 : Math.max(0, Math.floor(n)));

export class RedisQuotaLedger {
  private readonly reserve: number;
  private readonly assumedQuota: number;
  private readonly assumedWindowMs: number;
  private readonly bare429: BackoffBounds;
  private readonly permitTtlMs: number;
  private readonly stateTtlMs: number;
  private readonly paceBurstShare: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    options: QuotaLedgerOptions,
  ) {
    this.reserve = Math.max(0, Math.floor(options.reserve ?? 0));
    this.assumedQuota = Math.max(0, Math.floor(options.assumedQuota ?? 0));
    this.assumedWindowMs = options.assumedWindowMs ?? 30_000;
    this.bare429 = options.bare429 ?? DEFAULT_BARE_429;
    this.permitTtlMs = options.permitTtlMs;
    this.paceBurstShare = options.paceBurstShare ?? 0;
    // A stale ledger must not outlive a few windows: after that, learning afresh is right.
    this.stateTtlMs = options.stateTtlMs ?? Math.max(10 * this.assumedWindowMs, 10 * this.permitTtlMs);
  }

  /** Takes a slot if one is free now (atomically, across replicas). */
  async tryTake(now: number): Promise<Take> {
    const permitId = randomBytes(9).toString("base64url");
    const reply = (await shared("taking a quota slot", () =>
      TAKE.run(this.redis, this.ledgerKeys(), [
        Math.floor(now),
        permitId,
        this.reserve,
        this.permitTtlMs,
        this.stateTtlMs,
        this.assumedQuota,
        this.assumedWindowMs,
        this.paceBurstShare,
      ]),
    )) as [number, number, number?];
    if (reply[0] === 1) return { granted: true, permitId, windowProbe: reply[1] === 1, fillForMs: reply[2] ?? 0 };
    return { granted: false, waitUntil: reply[1] >= 0 ? reply[1] : undefined };
  }

  /** The permit was never used for a request: free its slot without counting it as spent. */
  async giveBack(permitId: string): Promise<void> {
    await shared("giving back a quota slot", () => GIVE_BACK.run(this.redis, this.ledgerKeys(), [permitId, this.stateTtlMs]));
  }

  /** The permit's request is over: stop counting it, and learn from its answer (omit when none arrived). */
  async release(permitId: string, now: number, response?: ResponseInfo): Promise<void> {
    const rate = response ? parseRateHeaders(response.headers) : {};
    let kind429 = "";
    let headerWait = -1;
    if (response?.status === 429) {
      kind429 = isConcurrencyLimited429(response.headers) ? "concurrency" : "quota";
      // BigCommerce: honour the longer of X-Retry-After and the window reset (rate-headers.ts).
      if (rate.retryAfterMs !== undefined || rate.resetMs !== undefined) headerWait = int(Math.max(rate.retryAfterMs ?? 0, rate.resetMs ?? 0));
    }
    await shared("releasing a quota slot", () =>
      RELEASE.run(this.redis, this.ledgerKeys(), [
        Math.floor(now),
        permitId,
        response ? 1 : 0,
        response?.status ?? 0,
        int(rate.left),
        int(rate.resetMs),
        int(rate.quota),
        int(rate.windowMs),
        kind429,
        headerWait,
        this.bare429.baseMs,
        this.bare429.maxMs,
        UNLIMITED_AFTER,
        this.stateTtlMs,
      ]),
    );
  }

  /** Stop every replica's requests to the store until `until` (clock ms), e.g. after a 429. */
  async note429(until: number): Promise<void> {
    await shared("recording a 429", () => NOTE_429.run(this.redis, this.ledgerKeys(), [Math.floor(until), this.stateTtlMs]));
  }

  /** The shared view of the quota (metrics, tests). */
  async state(now: number): Promise<LedgerState> {
    const [fields, inFlight] = await shared("reading the quota ledger", async () => {
      const [hash, count] = await Promise.all([
        this.redis.hgetall(this.keys.quota()),
        this.redis.zcount(this.keys.quotaInFlight(), `(${Math.floor(now)}`, "+inf"),
      ]);
      return [hash, count] as const;
    });
    const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    return {
      learned: fields.learned === "1",
      unlimited: fields.unlimited === "1",
      quota: n(fields.quota),
      left: n(fields.left),
      windowMs: n(fields.windowMs),
      resetAt: n(fields.resetAt),
      inFlight,
      blockedUntil: n(fields.blockedUntil) ?? 0,
    };
  }

  private ledgerKeys(): string[] {
    return [this.keys.quota(), this.keys.quotaInFlight()];
  }
}
