import { once } from "node:events";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createLogger } from "../../src/logger.js";
import { connectRedis } from "../../src/shared-state/redis-connection.js";
import { startRedisServer, type RedisServer } from "./redis-server.js";

/**
 * A redis-server for one test file: started before its tests, stopped after them, and
 * connections to it (each ready when returned) that are closed at the end. With `perTest`, the
 * connections are closed after each test instead, and a server a test stopped is started again.
 */
export function useRedisServer(options: { perTest?: boolean } = {}) {
  let server: RedisServer | undefined;
  const connections: Redis[] = [];
  const disconnectAll = (): void => {
    for (const c of connections.splice(0)) c.disconnect();
  };
  const running = (): RedisServer => {
    if (!server) throw new Error("the redis-server starts in beforeAll: use it inside a test");
    return server;
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  if (options.perTest) {
    afterEach(async () => {
      disconnectAll();
      if (server && !server.running) await server.start();
    });
  }
  afterAll(async () => {
    disconnectAll();
    await server?.stop();
  });

  return {
    get server(): RedisServer {
      return running();
    },
    /** A new connection, ready; closed with the others. */
    async connect(commandTimeoutMs = 1_000): Promise<Redis> {
      const c = connectRedis({ url: running().url, commandTimeoutMs }, createLogger("silent"));
      connections.push(c);
      await once(c, "ready");
      return c;
    },
  };
}
