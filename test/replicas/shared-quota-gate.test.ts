import { once } from "node:events";
import { describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { request } from "undici";
import { RateLimitedError } from "../../src/bigcommerce/errors.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/logger.js";
import { SharedStateUnavailableError } from "../../src/shared-state/errors.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { RedisQuotaLedger } from "../../src/shared-state/redis-quota-ledger.js";
import { SharedQuotaGate } from "../../src/shared-state/shared-quota-gate.js";
import { FakeClock } from "../bigcommerce/helpers/fake-clock.js";
import { track } from "../bigcommerce/helpers/track.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { useRedisServer } from "../support/use-redis.js";

const logger = createLogger("silent");

describe.skipIf(!redisServerAvailable)(`shared quota gate${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  const redisServer = useRedisServer();

  const gateOn = (c: Redis, store: string, maxWaitMs = 10_000) =>
    new SharedQuotaGate(new RedisQuotaLedger(c, new Keyspace(store), { permitTtlMs: 10_000 }), logger, { maxWaitMs });
  const gate = async (store: string, maxWaitMs = 10_000) => gateOn(await redisServer.connect(), store, maxWaitMs);

  it("three replicas with concurrent callers, each acquiring before every request: zero 429s", async () => {
    const emulator: RunningEmulator = await startEmulator({ port: 0, rateQuota: 15, rateWindowMs: 1_000, latencyMs: 15 });
    try {
      const gates = [await gate("gate-a"), await gate("gate-a"), await gate("gate-a")];
      const statuses: number[] = [];
      const caller = async (g: SharedQuotaGate, n: number) => {
        for (let i = 0; i < n; i += 1) {
          const permit = await g.acquire();
          const res = await request(`${emulator.url}/stores/gatestore/v3/customers?limit=1`, { headers: { "x-auth-token": "any" } });
          await res.body.dump();
          statuses.push(res.statusCode);
          permit.release({ status: res.statusCode, headers: res.headers });
        }
      };
      await Promise.all(gates.flatMap((g) => [caller(g, 5), caller(g, 5), caller(g, 5), caller(g, 5)]));
      expect(statuses).toHaveLength(60);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    } finally {
      await emulator.close();
    }
  });

  it("refuses at once a caller whose deadline comes before the next slot, with a retry estimate", async () => {
    const c = await redisServer.connect();
    const g = gateOn(c, "gate-b");
    const ledger = new RedisQuotaLedger(c, new Keyspace("gate-b"), { permitTtlMs: 10_000 });
    const now = Date.now();
    const t = await ledger.tryTake(now);
    if (!t.granted) throw new Error("expected the first probe");
    await ledger.release(t.permitId, now, {
      status: 200,
      headers: { "x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "20000", "x-rate-limit-requests-quota": "10" },
    });
    const refused = await g.acquire({ deadline: Date.now() + 200 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(10_000);
  });

  it("hands each slot this replica gets to its fullest waiting call, and drops a waiter that aborts", async () => {
    const g = await gate("gate-d");
    const probe = await g.acquire(); // the first request probes the window; the rest wait for its answer
    const order: string[] = [];
    const ask = (name: string, fill?: number, signal?: AbortSignal) =>
      g.acquire({ ...(fill === undefined ? {} : { fill: () => fill }), ...(signal ? { signal } : {}) }).then((p) => {
        order.push(name);
        return p;
      });
    const gaveUp = new AbortController();
    const waiting = [ask("read, a fifth full", 0.2), ask("aborted", 1, gaveUp.signal), ask("write, full", 1), ask("lone request")];
    await new Promise((r) => setTimeout(r, 30)); // they are queued, polling for the probe's answer
    gaveUp.abort(new Error("the IdP went away"));
    probe.release({ status: 200, headers: { "x-rate-limit-requests-left": "9", "x-rate-limit-time-reset-ms": "1000", "x-rate-limit-requests-quota": "10" } });
    const outcomes = (await Promise.allSettled(waiting)).map((r) => r.status);
    expect(outcomes).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(order).toEqual(["write, full", "lone request", "read, a fifth full"]);
  });

  /**
   * A gate on a fake clock over a ledger that has just learnt its window is spent for 20 s, and
   * one patient caller whose wait puts the poll loop to sleep until the window resets.
   */
  async function spentWindow(store: string, patientDeadlineMs: number) {
    const c = await redisServer.connect();
    const clock = new FakeClock(Date.now());
    const ledger = new RedisQuotaLedger(c, new Keyspace(store), { permitTtlMs: 60_000 });
    const g = new SharedQuotaGate(ledger, logger, { clock, maxWaitMs: 30_000 });
    const start = clock.now();
    const probe = await ledger.tryTake(start);
    if (!probe.granted) throw new Error("expected the first probe");
    await ledger.release(probe.permitId, start, {
      status: 200,
      headers: { "x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "20000", "x-rate-limit-requests-quota": "10" },
    });
    const gaveUp = new AbortController();
    const patient = track(g.acquire({ deadline: start + patientDeadlineMs, signal: gaveUp.signal }));
    // The loop has asked the ledger and sleeps (fake time) until the window resets.
    while (clock.pendingTimers === 0) await new Promise((r) => setTimeout(r, 5));
    return { g, clock, ledger, start, patient, gaveUp };
  }

  /** The outcome of `p`, or "still waiting" if it has not settled within a (generous) real-time bound. */
  async function outcomeOf(p: Promise<unknown>): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((r) => (timer = setTimeout(() => r("still waiting"), 5_000)));
    try {
      return await Promise.race([p.then(() => "granted", (e: unknown) => e), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  it("refuses at once a caller that arrives while the loop sleeps, when its deadline comes before the next slot", async () => {
    const { g, start, patient, gaveUp } = await spentWindow("gate-e", 30_000);
    try {
      // No fake time passes: the old one-loop-per-caller gate refused this caller at once.
      const hurried = g.acquire({ deadline: start + 1_000 });
      expect(await outcomeOf(hurried)).toBeInstanceOf(RateLimitedError);
      expect(patient.settled).toBe(false);
    } finally {
      gaveUp.abort(new Error("test over"));
    }
  });

  it("never hands a slot to a caller whose deadline has passed: it is refused and the slot given back", async () => {
    // Deadline at the reset: kept while the loop sleeps, but the loop wakes a little after it.
    const { clock, ledger, start, patient } = await spentWindow("gate-f", 20_000);
    await clock.advance(20_010);
    expect(await outcomeOf(patient.promise)).toBeInstanceOf(RateLimitedError);
    // The slot goes back to the ledger (asynchronously: wait for it, within a generous bound).
    for (let i = 0; i < 100 && (await ledger.state(clock.now())).inFlight > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect((await ledger.state(clock.now())).inFlight).toBe(0);
    expect(clock.now()).toBeGreaterThan(start + 20_000);
  });

  it("rejects with a typed error (a SCIM 503) while Redis is down", async () => {
    const c = await redisServer.connect();
    const g = gateOn(c, "gate-c");
    await redisServer.server.stop();
    try {
      await expect(g.acquire()).rejects.toBeInstanceOf(SharedStateUnavailableError);
    } finally {
      await redisServer.server.start();
      await once(c, "ready");
    }
  });
});
