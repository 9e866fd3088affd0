import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { PermitSource } from "../bigcommerce/governor.js";
import type { UnsettledCreates } from "../bigcommerce/unsettled-creates.js";
import type { WriteLock } from "../scim/keyed-lock.js";
import { Keyspace } from "./keyspace.js";
import { connectRedis, untilReady } from "./redis-connection.js";
import { ReplicaLeadership } from "./leadership.js";
import { RedisKeyedLock } from "./redis-lock.js";
import { RedisQuotaLedger } from "./redis-quota-ledger.js";
import { SharedQuotaGate } from "./shared-quota-gate.js";
import { RedisUnsettledCreates } from "./redis-unsettled-creates.js";

/**
 * What replicas of one store share through Redis (REDIS_URL). Built once per process by the
 * composition root (main.ts, the test harness) and handed to createApp; without REDIS_URL there
 * is none and every piece of state stays in the process, as before.
 */
export interface SharedState {
  redis: Redis;
  keys: Keyspace;
  /** The per-user write lock across replicas. */
  writeLock: WriteLock;
  /** Creates without a definite answer, seen by every replica (the client's create batcher). */
  unsettledCreates: UnsettledCreates;
  /** The store's quota, shared by replicas: every BigCommerce request takes its slot here. */
  permits: PermitSource;
  /** Which replica leads; followers pass SCIM requests to it (started once the server listens). */
  leadership: ReplicaLeadership;
  /** Resolves once Redis answers (start-up: the first BigCommerce call already takes a shared slot). */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Longest a write waits for a user's lock (at least the lease plus 5 s, so a lock left by a
 * replica that died is released within the wait). Every wait is also cut at the SCIM request's
 * deadline (bigcommerce/deadline.ts), so the wait plus the writes stays under the IdPs' 60 s.
 */
export const LOCK_WAIT_MS = 20_000;

export function openSharedState(
  settings: NonNullable<Config["redis"]>,
  storeHash: string,
  logger: Logger,
  upstream: Config["upstream"],
  /** Known to every replica of the store and not kept in Redis: signs leadership claims. */
  replicaSecret: string,
): SharedState {
  const log = logger.child({ component: "redis" });
  const redis = connectRedis(settings, log);
  const keys = new Keyspace(storeHash);
  const leadership = new ReplicaLeadership(redis, keys, log, replicaSecret);
  return {
    redis,
    keys,
    writeLock: new RedisKeyedLock(redis, keys, { leaseMs: settings.lockLeaseMs, waitMs: Math.max(LOCK_WAIT_MS, settings.lockLeaseMs + 5_000) }, log),
    unsettledCreates: new RedisUnsettledCreates(redis, keys),
    permits: new SharedQuotaGate(
      new RedisQuotaLedger(redis, keys, {
        reserve: upstream.reserve,
        paceBurstShare: upstream.paceBurstShare,
        // A permit counts as in flight until its answer, at most a request timeout (plus margin).
        permitTtlMs: upstream.requestTimeoutMs + 5_000,
      }),
      log,
      { maxWaitMs: upstream.maxWaitMs },
    ),
    leadership,
    ready: (timeoutMs) => untilReady(redis, timeoutMs),
    close: async () => {
      await leadership.stop();
      redis.disconnect();
    },
  };
}
