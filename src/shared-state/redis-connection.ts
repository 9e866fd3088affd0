import { once } from "node:events";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { SharedStateUnavailableError } from "./errors.js";

/**
 * One Redis connection per process, configured so that Redis trouble answers fast instead of
 * hanging a SCIM request: every command is bounded by `commandTimeoutMs`, commands issued while
 * disconnected fail at once (no offline queue), and ioredis reconnects by itself in the
 * background (capped backoff), so the bridge carries on when Redis is back.
 */
export interface RedisSettings {
  /** May carry a password: it is never logged. */
  url: string;
  commandTimeoutMs: number;
}

/** How long a client should wait before retrying a request that Redis trouble stopped. */
export const REDIS_RETRY_AFTER_MS = 5_000;

export function connectRedis(settings: RedisSettings, logger: Logger): Redis {
  const redis = new Redis(settings.url, {
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: Math.max(1_000, settings.commandTimeoutMs),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
  });
  let reported = false;
  redis.on("error", (err: Error) => {
    // Once per outage: ioredis reports every failed reconnect attempt.
    if (reported) return;
    reported = true;
    logger.warn({ err: { message: err.message } }, "Redis is unavailable; requests that need it answer 503 until it is back");
  });
  redis.on("ready", () => {
    if (reported) logger.info("Redis is available again");
    reported = false;
  });
  return redis;
}

/** Runs Redis commands; any failure becomes SharedStateUnavailableError (a SCIM 503). */
export async function shared<T>(what: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw new SharedStateUnavailableError(`Redis did not complete ${what}`, REDIS_RETRY_AFTER_MS, { cause: error });
  }
}

/**
 * Waits for the connection to be ready (at start-up, before the first command: without an
 * offline queue a command sent while still connecting fails). Redis not answering within
 * `timeoutMs` rejects with SharedStateUnavailableError; ioredis keeps trying in the background.
 */
export async function untilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return;
  try {
    await once(redis, "ready", { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new SharedStateUnavailableError(`Redis was not ready within ${timeoutMs} ms`, REDIS_RETRY_AFTER_MS, { cause: error });
  }
}
