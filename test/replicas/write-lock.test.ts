import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { LeaseLostError, LockBusyError, SharedStateUnavailableError } from "../../src/shared-state/errors.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { currentLease } from "../../src/shared-state/lease.js";
import { RedisKeyedLock } from "../../src/shared-state/redis-lock.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { useRedisServer } from "../support/use-redis.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = createLogger("silent");

describe.skipIf(!redisServerAvailable)(`shared write lock${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  // Each test's connections are closed after it, and a server it stopped is started again.
  const redisServer = useRedisServer({ perTest: true });
  const keys = new Keyspace("lockstore");

  /** One "replica": its own connection and lock. */
  async function replica(leaseMs = 2_000, waitMs = 10_000) {
    const redis = await redisServer.connect(500);
    return { redis, lock: new RedisKeyedLock(redis, keys, { leaseMs, waitMs }, logger) };
  }

  it("serialises work on one key across replicas, and lets other keys run in parallel", async () => {
    const replicas = [await replica(), await replica(), await replica()];
    const log: string[] = [];
    let holders = 0;
    let maxHolders = 0;
    const job = (r: number, key: string, name: string) =>
      replicas[r]!.lock.run(key, async () => {
        holders += key === "u1" ? 1 : 0;
        maxHolders = Math.max(maxHolders, holders);
        log.push(`start ${name}`);
        await tick(30);
        log.push(`end ${name}`);
        holders -= key === "u1" ? 1 : 0;
        return name;
      });
    const results = await Promise.all([job(0, "u1", "a"), job(1, "u1", "b"), job(2, "u1", "c"), job(1, "u1", "d"), job(2, "u2", "x")]);
    expect(results).toEqual(["a", "b", "c", "d", "x"]);
    expect(maxHolders).toBe(1);
    // u2 did not wait for the u1 queue.
    expect(log.indexOf("start x")).toBeLessThan(log.lastIndexOf("end d"));
    // Every lease is released: nothing left behind but the lease counters (which expire).
    expect(await replicas[0]!.redis.exists(keys.lock("u1"), keys.lock("u2"))).toBe(0);
    expect(await replicas[0]!.redis.pttl(keys.leaseCounter("u1"))).toBeGreaterThan(0);
  });

  it("gives each holder a larger lease number, and makes the lease visible to the work", async () => {
    const { lock } = await replica();
    const fences: number[] = [];
    for (let i = 0; i < 3; i += 1) await lock.run("u-fence", async () => void fences.push(currentLease()!.generation));
    expect(fences[1]).toBeGreaterThan(fences[0]!);
    expect(fences[2]).toBeGreaterThan(fences[1]!);
  });

  it("keeps the lease alive while long work runs (renewal)", async () => {
    const a = await replica(1_000);
    const b = await replica(1_000);
    const order: string[] = [];
    const first = a.lock.run("u-long", async () => {
      await tick(2_500); // well past one lease: only renewal keeps it
      currentLease()!.assertHeld();
      order.push("a done");
    });
    await tick(50);
    await b.lock.run("u-long", async () => void order.push("b ran"));
    await first;
    expect(order).toEqual(["a done", "b ran"]);
  });

  it("releases the lock of a replica that died, by expiry; the dead holder's stale lease refuses to write", async () => {
    const a = await replica(800);
    const b = await replica(800);
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    let staleWrite: unknown;
    const holderA = a.lock.run("u-dead", async () => {
      a.redis.disconnect(); // the replica is cut off: it can no longer renew
      await stuck;
      try {
        currentLease()!.assertHeld();
        staleWrite = "written";
      } catch (error) {
        staleWrite = error;
      }
    });
    await tick(50);
    const fenceB = await b.lock.run("u-dead", async () => currentLease()!.generation);
    expect(fenceB).toBeGreaterThan(0);
    release();
    await holderA;
    expect(staleWrite).toBeInstanceOf(LeaseLostError);
  });

  it("detects a lease taken over while the holder was paused, even before its local expiry", async () => {
    const a = await replica(3_000);
    const b = await replica(3_000);
    let outcome: unknown;
    const holderA = a.lock.run("u-taken", async () => {
      // Simulate the lease expiring during a long pause: it vanishes and B takes the lock.
      await b.redis.del(keys.lock("u-taken"));
      let bAcquired!: () => void;
      const acquired = new Promise<void>((r) => (bAcquired = r));
      const bHolds = b.lock.run("u-taken", async () => {
        bAcquired();
        await tick(1_500);
      });
      await acquired;
      // A's next renewal (every lease/3) finds B's token instead of its own, long before A's
      // own view of its lease (3 s) runs out.
      await once(currentLease()!.signal, "abort");
      try {
        currentLease()!.assertHeld();
        outcome = "written";
      } catch (error) {
        outcome = error;
      }
      await bHolds;
    });
    await holderA;
    expect(outcome).toBeInstanceOf(LeaseLostError);
  });

  it("answers LockBusyError once the wait bound passes", async () => {
    const a = await replica(5_000);
    const b = await replica(5_000, 300);
    let release!: () => void;
    const held = a.lock.run("u-busy", () => new Promise<void>((r) => (release = r)));
    await tick(50);
    let ran = false;
    await expect(b.lock.run("u-busy", async () => void (ran = true))).rejects.toBeInstanceOf(LockBusyError);
    expect(ran).toBe(false);
    release();
    await held;
  });

  it("never runs the work without the lock when Redis is down, and works again when it is back", async () => {
    const a = await replica();
    await redisServer.server.stop();
    let ran = false;
    await expect(a.lock.run("u-down", async () => void (ran = true))).rejects.toBeInstanceOf(SharedStateUnavailableError);
    expect(ran).toBe(false);
    await redisServer.server.start();
    await once(a.redis, "ready");
    expect(await a.lock.run("u-down", async () => "ok")).toBe("ok");
  });
});
