import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createLogger } from "../../src/logger.js";
import { SharedStateUnavailableError } from "../../src/shared-state/errors.js";
import { connectRedis, shared } from "../../src/shared-state/redis-connection.js";
import { redisServerAvailable, SKIP_REASON, startRedisServer, type RedisServer } from "../support/redis-server.js";

describe.skipIf(!redisServerAvailable)(`Redis connection${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer({ password: "test-password-1" });
    redis = connectRedis({ url: server.url, commandTimeoutMs: 500 }, createLogger("silent"));
    await once(redis, "ready");
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it("talks to a password-protected server", async () => {
    expect(await shared("PING", () => redis.ping())).toBe("PONG");
  });

  it("fails fast with a typed error while Redis is down, and reconnects by itself", async () => {
    await server.stop();
    await expect(shared("PING", () => redis.ping())).rejects.toBeInstanceOf(SharedStateUnavailableError);
    await server.start();
    await once(redis, "ready");
    expect(await shared("PING", () => redis.ping())).toBe("PONG");
  });
});
