import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBigCommerceClient } from "../../src/bigcommerce/client.js";
import { toCustomerId } from "../../src/bigcommerce/ids.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/logger.js";
import { LeaseLostError } from "../../src/shared-state/errors.js";
import { fenceWrites } from "../../src/shared-state/fenced-client.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { currentLease } from "../../src/shared-state/lease.js";
import { connectRedis } from "../../src/shared-state/redis-connection.js";
import { RedisKeyedLock } from "../../src/shared-state/redis-lock.js";
import { redisServerAvailable, SKIP_REASON, startRedisServer, type RedisServer } from "../support/redis-server.js";

/** The BigCommerce client as the bridge uses it with REDIS_URL: every write checks its lease. */
describe.skipIf(!redisServerAvailable)(`fenced BigCommerce writes${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let server: RedisServer;
  let emulator: RunningEmulator;
  const logger = createLogger("silent");

  beforeAll(async () => {
    server = await startRedisServer();
    emulator = await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000 });
  });
  afterAll(async () => {
    await emulator?.close();
    await server?.stop();
  });

  it("sends writes under a held lease, and refuses them (nothing sent) once the lease is lost", async () => {
    const redis = connectRedis({ url: server.url, commandTimeoutMs: 500 }, logger);
    await once(redis, "ready");
    const raw = createBigCommerceClient({ apiUrl: emulator.url, storeHash: "fenced", accessToken: "t", requestTimeoutMs: 5_000, maxWaitMs: 5_000, logger });
    const client = fenceWrites(raw);
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
        emulator.clearRequests();
        try {
          await client.customers.update({ id, first_name: "Stale" });
        } catch (error) {
          refused = error;
        }
        expect(currentLease()?.signal.aborted).toBe(true);
      });
      expect(refused).toBeInstanceOf(LeaseLostError);
      expect(emulator.requests).toEqual([]);
      expect(emulator.store("fenced").customers.get(customer.id)?.first_name).toBe("Held");
      // Reads are never fenced.
      expect((await client.customers.list({ "id:in": [id] })).data).toHaveLength(1);
    } finally {
      redis.disconnect();
      await raw.close();
    }
  });
});
