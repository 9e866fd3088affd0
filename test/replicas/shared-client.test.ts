import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { connectRedis } from "../../src/shared-state/redis-connection.js";
import { RedisQuotaLedger } from "../../src/shared-state/redis-quota-ledger.js";
import { api, newUser, STORE_HASH, store } from "../integration/helpers.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { startReplicas, type Replicas } from "../support/replicas.js";

/**
 * Three bridge replicas on one rate-limited emulator, sharing one real redis-server: every
 * BigCommerce request takes its slot from the shared quota ledger, and the memory of creates
 * without a definite answer is shared.
 */
describe.skipIf(!redisServerAvailable)(`replicas share the quota and unsettled creates${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas({
      count: 3,
      emulator: { rateQuota: 30, rateWindowMs: 3_000, latencyMs: 40 },
      // Each replica serves what it receives (as while leadership changes hands): the shared state
      // alone must keep them correct. Forwarding to a leader is tested in bridge-replicas.test.ts.
      env: { REDIS_COMMAND_TIMEOUT_MS: "1000", REPLICA_FORWARDING: "off" },
    });
  });
  afterAll(() => replicas?.close());

  it("150 concurrent creates spread round-robin over three replicas: no upstream 429, no IdP 429", async () => {
    replicas.emulator.clearRequests();
    const count = 150;
    // An IdP's connection pool: 30 requests in flight at a time, each next one to the next replica.
    const answers: { status: number }[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        answers[i] = await api(replicas.bridges[i % 3]!).post("/Users", newUser(`bulk${i}@replicas.test`));
      }
    };
    await Promise.all(Array.from({ length: 30 }, worker));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const upstream = replicas.emulator.requests;
    expect(upstream.filter((r) => r.method === "POST" && r.path.endsWith("/v3/customers")).length).toBeGreaterThan(0);
    expect(upstream.filter((r) => r.status === 429)).toEqual([]);
    const emails = new Set(store(replicas.bridges[0]!).customers.where((c) => c.email.endsWith("@replicas.test")).map((c) => c.email));
    expect(emails.size).toBe(count);
    // The slots came from the shared ledger: it learned the store's quota from the answers, and
    // every permit was handed back (none left counting as in flight).
    const redis = connectRedis({ url: replicas.server.url, commandTimeoutMs: 1_000 }, createLogger("silent"));
    try {
      await once(redis, "ready");
      const ledger = new RedisQuotaLedger(redis, new Keyspace(STORE_HASH), { permitTtlMs: 20_000 });
      expect(await ledger.state(Date.now())).toMatchObject({ learned: true, quota: 30, inFlight: 0 });
    } finally {
      redis.disconnect();
    }
  });

  it("a create whose answer was lost on replica A, retried on replica B: 201 with that customer, no duplicate", async () => {
    const email = "lost.on.a@replicas.test";
    const body = newUser(email);
    // A's POST writes, its answer is dropped, and A's re-read fails too: A cannot tell.
    replicas.emulator.faults.add({ method: "POST", path: "/v3/customers", dropResponse: true, count: 1 });
    replicas.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 502, count: 50 });
    const onA = await api(replicas.bridges[0]!).post("/Users", body);
    replicas.emulator.faults.clear();
    expect(onA.status).toBeGreaterThanOrEqual(500);
    const id = store(replicas.bridges[0]!).customers.idByEmail(email);
    expect(id).toBeDefined();

    // The IdP retries later, on another replica: past the tolerance within which B would take
    // the customer for its own attempt's anyway, so only the shared memory can recognise it.
    await sleep(3_500);
    const onB = await api(replicas.bridges[1]!).post("/Users", body);
    expect(onB.status).toBe(201);
    expect(onB.body.id).toBe(String(id));
    expect(store(replicas.bridges[0]!).customers.where((c) => c.email === email)).toHaveLength(1);
  });
});
