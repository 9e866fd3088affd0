import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createLogger } from "../../src/logger.js";
import { SharedStateUnavailableError } from "../../src/shared-state/errors.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { connectRedis } from "../../src/shared-state/redis-connection.js";
import { RedisUnsettledCreates } from "../../src/shared-state/redis-unsettled-creates.js";
import { unsettledCreatesContract } from "../support/unsettled-creates-contract.js";
import { redisServerAvailable, SKIP_REASON, startRedisServer, type RedisServer } from "../support/redis-server.js";

describe.skipIf(!redisServerAvailable)(`RedisUnsettledCreates${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let server: RedisServer;
  let redis: Redis;
  const keys = new Keyspace("unsettledstore");

  beforeAll(async () => {
    server = await startRedisServer();
    redis = connectRedis({ url: server.url, commandTimeoutMs: 500 }, createLogger("silent"));
    await once(redis, "ready");
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  unsettledCreatesContract(async (memoryMs) => new RedisUnsettledCreates(redis, keys, memoryMs));

  it("is shared: what one replica remembers, another recalls; the key expires and holds no email", async () => {
    const other = connectRedis({ url: server.url, commandTimeoutMs: 500 }, createLogger("silent"));
    await once(other, "ready");
    try {
      const now = Date.now();
      await new RedisUnsettledCreates(redis, keys).remember("shared@example.com", { first_name: "S", last_name: "R", firstAttemptAt: now }, now);
      expect(await new RedisUnsettledCreates(other, keys).recall("shared@example.com", now)).toEqual({ first_name: "S", last_name: "R", firstAttemptAt: now });
      const key = keys.unsettledCreate("shared@example.com");
      expect(key).not.toContain("shared@example.com");
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      other.disconnect();
    }
  });

  it("fails with a typed error (a SCIM 503) while Redis is down", async () => {
    const store = new RedisUnsettledCreates(redis, keys);
    await server.stop();
    try {
      await expect(store.recall("down@example.com", Date.now())).rejects.toBeInstanceOf(SharedStateUnavailableError);
      await expect(store.remember("down@example.com", { first_name: "D", last_name: "N", firstAttemptAt: 1 }, 1)).rejects.toBeInstanceOf(SharedStateUnavailableError);
    } finally {
      await server.start();
      await once(redis, "ready");
    }
  });
});
