import { once } from "node:events";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { request } from "undici";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { fillWindowMs, nextPacedSlot } from "../../src/bigcommerce/pacing.js";
import { SharedStateUnavailableError } from "../../src/shared-state/errors.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { RedisQuotaLedger, type QuotaLedgerOptions } from "../../src/shared-state/redis-quota-ledger.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { useRedisServer } from "../support/use-redis.js";

const rate = (left: number, resetMs: number, quota = 10, windowMs = 1_000) => ({
  "x-rate-limit-requests-left": String(left),
  "x-rate-limit-time-reset-ms": String(resetMs),
  "x-rate-limit-requests-quota": String(quota),
  "x-rate-limit-time-window-ms": String(windowMs),
});

describe.skipIf(!redisServerAvailable)(`Redis quota ledger${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  const redisServer = useRedisServer();
  let redis: Redis;
  let store = 0;
  let keys: Keyspace;

  const ledger = (options: Partial<QuotaLedgerOptions> = {}, connection = redis) =>
    new RedisQuotaLedger(connection, keys, { permitTtlMs: 20_000, ...options });
  async function take(l: RedisQuotaLedger, now: number) {
    const t = await l.tryTake(now);
    if (!t.granted) throw new Error(`expected a slot at ${now}, told to wait until ${t.waitUntil}`);
    return t;
  }

  beforeAll(async () => {
    redis = await redisServer.connect();
  });
  beforeEach(() => {
    store += 1;
    keys = new Keyspace(`ledger${store}`); // a fresh store per test
  });

  it("lets one probe through before it knows the budget, then paces by left minus in flight minus reserve", async () => {
    const l = ledger({ reserve: 2 });
    const probe = await take(l, 1_000);
    expect(await l.tryTake(1_001)).toEqual({ granted: false, waitUntil: undefined });
    await l.release(probe.permitId, 1_010, { status: 200, headers: rate(9, 900) });
    // 9 left, 2 kept for other apps: 7 slots until the window resets at 1_910.
    const held = [];
    for (let i = 0; i < 7; i += 1) held.push(await take(l, 1_020));
    expect(await l.tryTake(1_020)).toEqual({ granted: false, waitUntil: 1_910 });
    expect((await l.state(1_020)).inFlight).toBe(7);
    // A late answer cannot raise what is left within the window.
    await l.release(held[0]!.permitId, 1_030, { status: 200, headers: rate(8, 880) });
    expect((await l.state(1_030)).left).toBe(8);
    expect(await l.tryTake(1_030)).toEqual({ granted: false, waitUntil: 1_910 });
  });

  it("paces like the governor: the same burst and the same next slot as nextPacedSlot()", async () => {
    const l = ledger({ paceBurstShare: 0.2 });
    const probe = await take(l, 1_000);
    await l.release(probe.permitId, 1_010, { status: 200, headers: rate(9, 1_000) });
    // Window 1_010..2_010, quota 10: a burst of 2 (the probe was one), then one per 100 ms.
    await take(l, 1_020);
    const expected = nextPacedSlot({ now: 1_020, quota: 10, left: 9, inFlight: 1, reserve: 0, resetAt: 2_010, windowMs: 1_000, burstShare: 0.2 });
    expect(expected).toBe(1_110);
    expect(await l.tryTake(1_020)).toEqual({ granted: false, waitUntil: expected });
    await take(l, 1_110);
    expect(await l.tryTake(1_111)).toEqual({ granted: false, waitUntil: 1_210 });
  });

  it("lets a slot on the pacing line be held to fill its call, as fillWindowMs() does", async () => {
    const l = ledger({ paceBurstShare: 0.2 });
    const probe = await take(l, 1_000);
    await l.release(probe.permitId, 1_010, { status: 200, headers: rate(9, 1_000) });
    // Window 1_010..2_010, quota 10, burst 2 (the probe was one): the burst's last slot goes now.
    const burst = await take(l, 1_020);
    expect(burst.fillForMs).toBe(fillWindowMs({ now: 1_020, quota: 10, left: 9, inFlight: 0, reserve: 0, resetAt: 2_010, windowMs: 1_000, burstShare: 0.2 }));
    expect(burst.fillForMs).toBe(0);
    const paced = await take(l, 1_110);
    const expected = fillWindowMs({ now: 1_110, quota: 10, left: 9, inFlight: 1, reserve: 0, resetAt: 2_010, windowMs: 1_000, burstShare: 0.2 });
    expect(expected).toBe(50);
    expect(paced.fillForMs).toBe(expected);
  });

  it("rolls the window by its own estimate, then sends one probe before spending more", async () => {
    const l = ledger();
    const first = await take(l, 0);
    await l.release(first.permitId, 10, { status: 200, headers: rate(0, 500) });
    expect(await l.tryTake(100)).toEqual({ granted: false, waitUntil: 510 });
    const probe = await take(l, 510);
    expect(probe.windowProbe).toBe(true);
    expect(await l.tryTake(511)).toEqual({ granted: false, waitUntil: undefined });
    await l.release(probe.permitId, 520, { status: 200, headers: rate(4, 990) });
    for (let i = 0; i < 4; i += 1) expect((await take(l, 530)).windowProbe).toBe(false);
    expect((await l.tryTake(530)).granted).toBe(false);
  });

  it("stops everyone after a quota 429 for the longer of X-Retry-After and the reset; ignores a concurrency 429", async () => {
    const l = ledger();
    const a = await take(l, 0);
    await l.release(a.permitId, 0, { status: 200, headers: rate(5, 1_000) });
    const b = await take(l, 10);
    await l.release(b.permitId, 20, { status: 429, headers: { ...rate(3, 300), "x-retry-after": "0" } });
    // X-Retry-After present: a quota 429 (rate-headers.ts), blocked for the longer of 0 s and the 300 ms reset.
    expect((await l.state(20)).blockedUntil).toBe(320);
    const c = await take(l, 400);
    await l.release(c.permitId, 410, { status: 429, headers: rate(3, 500) }); // no X-Retry-After, left > 0: concurrency cap
    expect((await l.state(410)).blockedUntil).toBe(320);
    const d = await take(l, 420);
    await l.release(d.permitId, 430, { status: 429, headers: { "x-retry-after": "2" } });
    expect(await l.tryTake(431)).toEqual({ granted: false, waitUntil: 2_430 });
    await l.note429(5_000);
    expect((await l.state(2_500)).blockedUntil).toBe(5_000);
  });

  it("backs off exponentially on 429s without headers", async () => {
    const l = ledger({ bare429: { baseMs: 100, maxMs: 250 } });
    let now = 0;
    const blocks: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const p = await take(l, now);
      await l.release(p.permitId, now, { status: 429, headers: {} });
      const blocked = (await l.state(now)).blockedUntil;
      blocks.push(blocked - now);
      now = blocked;
    }
    expect(blocks).toEqual([100, 200, 250]);
  });

  it("concludes the store is unlimited only after several header-less successes", async () => {
    const l = ledger();
    for (let i = 0; i < 3; i += 1) {
      const p = await take(l, i);
      expect((await l.tryTake(i)).granted).toBe(false); // still one at a time
      await l.release(p.permitId, i, { status: 200, headers: {} });
    }
    expect((await l.state(3)).unlimited).toBe(true);
    for (let i = 0; i < 20; i += 1) await take(l, 3);
  });

  it("reclaims the permits of a replica that died holding them", async () => {
    const l = ledger({ permitTtlMs: 1_000 });
    const p = await take(l, 0);
    await l.release(p.permitId, 0, { status: 200, headers: rate(3, 10_000, 4, 10_000) });
    for (let i = 0; i < 3; i += 1) await take(l, 100); // then the replica dies
    expect(await l.tryTake(200)).toEqual({ granted: false, waitUntil: 10_000 });
    // After the permit TTL the dead replica's permits stop counting; their requests may still
    // have been counted upstream, which the next answer's headers will tell.
    expect((await l.state(1_200)).inFlight).toBe(0);
  });

  it("uses an assumed quota with a probe first, and expires every key it writes", async () => {
    const l = ledger({ assumedQuota: 5, assumedWindowMs: 1_000 });
    const probe = await take(l, 0);
    expect(probe.windowProbe).toBe(true);
    expect((await l.tryTake(1)).granted).toBe(false);
    expect(await redis.pttl(keys.quota())).toBeGreaterThan(0);
    expect(await redis.pttl(keys.quotaInFlight())).toBeGreaterThan(0);
  });

  it("N replicas taking slots concurrently never exceed the store's quota: zero 429s from the emulator", async () => {
    const emulator: RunningEmulator = await startEmulator({ port: 0, rateQuota: 12, rateWindowMs: 1_000, latencyMs: 10 });
    try {
      const replicas = [];
      for (let i = 0; i < 3; i += 1) replicas.push(ledger({ permitTtlMs: 10_000 }, await redisServer.connect()));
      const statuses: number[] = [];
      const perReplica = 16;
      const worker = async (l: RedisQuotaLedger) => {
        for (let sent = 0; sent < perReplica; ) {
          const t = await l.tryTake(Date.now());
          if (!t.granted) {
            const pause = t.waitUntil === undefined ? 5 : Math.max(1, Math.min(t.waitUntil - Date.now(), 200));
            await new Promise((r) => setTimeout(r, pause));
            continue;
          }
          sent += 1;
          const res = await request(`${emulator.url}/stores/quotastore/v3/customers?limit=1`, { headers: { "x-auth-token": "any" } });
          await res.body.dump();
          statuses.push(res.statusCode);
          await l.release(t.permitId, Date.now(), { status: res.statusCode, headers: res.headers });
        }
      };
      // Two workers per replica: each replica also has requests in flight at once.
      await Promise.all(replicas.flatMap((l) => [worker(l), worker(l)]));
      expect(statuses).toHaveLength(3 * 2 * perReplica);
      expect(statuses.filter((s) => s === 429)).toEqual([]);
      expect(statuses.every((s) => s === 200)).toBe(true);
    } finally {
      await emulator.close();
    }
  });

  it("fails with a typed error (a SCIM 503) while Redis is down", async () => {
    const l = ledger();
    await redisServer.server.stop();
    try {
      await expect(l.tryTake(0)).rejects.toBeInstanceOf(SharedStateUnavailableError);
    } finally {
      await redisServer.server.start();
      await once(redis, "ready");
    }
  });
});
