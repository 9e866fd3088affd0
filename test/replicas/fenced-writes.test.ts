import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toCustomerId } from "../../src/bigcommerce/ids.js";
import { createLogger } from "../../src/logger.js";
import { LeaseLostError } from "../../src/shared-state/errors.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { currentLease } from "../../src/shared-state/lease.js";
import { connectRedis } from "../../src/shared-state/redis-connection.js";
import { RedisKeyedLock } from "../../src/shared-state/redis-lock.js";
import { startBridge, STORE_HASH, type RunningBridge } from "../support/bridge-harness.js";
import { redisServerAvailable, SKIP_REASON, startRedisServer, type RedisServer } from "../support/redis-server.js";

/** The BigCommerce client as the bridge uses it with REDIS_URL (the one composeBridge builds for
 * a replica: shared quota and unsettled creates): every write under a lock checks its lease when
 * it is submitted and again when it is sent. */
describe.skipIf(!redisServerAvailable)(`lease-guarded BigCommerce writes (a lease, not a fence)${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let server: RedisServer;
  let b: RunningBridge;
  const logger = createLogger("silent");

  beforeAll(async () => {
    server = await startRedisServer();
    // A short quota window from the start, so the bridge learns it (quota pressure below).
    b = await startBridge({ REDIS_URL: server.url }, { rateWindowMs: 4_000 });
  });
  afterAll(async () => {
    await b?.close();
    await server?.stop();
  });

  it("sends writes under a held lease, and refuses them (nothing sent) once the lease is lost", async () => {
    const redis = connectRedis({ url: server.url, commandTimeoutMs: 500 }, logger);
    await once(redis, "ready");
    const client = b.client;
    try {
      const customer = await client.customers.create({ email: "fenced@example.com", first_name: "F", last_name: "W" });
      const id = toCustomerId(customer.id)!;
      const lock = new RedisKeyedLock(redis, new Keyspace("fenced"), { leaseMs: 1_000, waitMs: 5_000 }, logger);
      let refused: unknown;
      await lock.run(String(customer.id), async () => {
        await client.customers.update({ id, first_name: "Held" });
        // The replica loses Redis: it cannot renew, and its lease runs out.
        redis.disconnect();
        await new Promise((r) => setTimeout(r, 1_100));
        b.emulator.clearRequests();
        try {
          await client.customers.update({ id, first_name: "Stale" });
        } catch (error) {
          refused = error;
        }
        expect(currentLease()?.signal.aborted).toBe(true);
      });
      expect(refused).toBeInstanceOf(LeaseLostError);
      expect(b.emulator.requests).toEqual([]);
      expect(b.emulator.store(STORE_HASH).customers.get(customer.id)?.first_name).toBe("Held");
      // Reads are never guarded.
      expect((await client.customers.list({ "id:in": [id] })).data).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  /**
   * A customer "Old", then quota pressure: a fresh window whose whole budget is spent at once, so
   * the next call waits for the window to reset. The caller restores the quota (finally).
   */
  async function underQuotaPressure(email: string) {
    const redis = connectRedis({ url: server.url, commandTimeoutMs: 500 }, logger);
    await once(redis, "ready");
    const client = b.client;
    try {
      const customer = await client.customers.create({ email, first_name: "Old", last_name: "W" });
      const id = toCustomerId(customer.id)!;
      b.emulator.setOptions({ rateQuota: 2 });
      for (let i = 0; i < 2; i += 1) await client.customers.list({ limit: 1 });
      b.emulator.clearRequests();
      return { redis, client, customer, id };
    } catch (error) {
      redis.disconnect();
      b.emulator.setOptions({ rateQuota: 100_000 });
      throw error;
    }
  }

  it("a write queued under quota pressure is not sent when its lease runs out before its slot comes", async () => {
    const { redis, client, customer, id } = await underQuotaPressure("queued@example.com");
    try {
      // The next call waits for the window to reset (4 s), long after the lease below (0.5 s) has run out.
      const lock = new RedisKeyedLock(redis, new Keyspace("queued"), { leaseMs: 500, waitMs: 5_000 }, logger);
      const outcome = await lock.run(String(customer.id), async () => {
        // The replica loses Redis: its lease cannot be renewed, and runs out while the update waits.
        redis.disconnect();
        return client.customers.update({ id, first_name: "Stale" }).then(
          () => "written",
          (error: unknown) => error,
        );
      });
      expect(outcome).toBeInstanceOf(LeaseLostError);
      expect(b.emulator.requests.filter((r) => r.method === "PUT")).toEqual([]);
      expect(b.emulator.store(STORE_HASH).customers.get(customer.id)?.first_name).toBe("Old");
    } finally {
      redis.disconnect();
      b.emulator.setOptions({ rateQuota: 100_000 });
    }
  });

  it("a write still queued when its lock's work has ended is not sent: a released lease no longer passes", async () => {
    const { redis, client, customer, id } = await underQuotaPressure("released@example.com");
    try {
      // The next write waits for the window to reset (up to 4 s), well within the lease (20 s).
      const lock = new RedisKeyedLock(redis, new Keyspace("released"), { leaseMs: 20_000, waitMs: 5_000 }, logger);
      let detached: Promise<unknown> | undefined;
      await lock.run(String(customer.id), async () => {
        // Work that ends without waiting for one of its writes (as Promise.all does for the
        // others once one write fails): the lock is released, and another writer may take it.
        detached = client.customers.update({ id, first_name: "Stale" }).then(
          () => "written",
          (error: unknown) => error,
        );
      });
      expect(await detached).toBeInstanceOf(LeaseLostError);
      expect(b.emulator.requests.filter((r) => r.method === "PUT")).toEqual([]);
      expect(b.emulator.store(STORE_HASH).customers.get(customer.id)?.first_name).toBe("Old");
    } finally {
      redis.disconnect();
      b.emulator.setOptions({ rateQuota: 100_000 });
    }
  });
});
