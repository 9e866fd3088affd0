/**
 * With REDIS_URL set and Redis down, every SCIM request answers 503 with Retry-After (README,
 * "When Redis fails"), never 429 "quota used up": the shared quota gate's failure is not a rate
 * limit, also for requests whose calls wait in a batch queue (reads by id, userName lookups,
 * creates), and /metrics does not count these answers as 429s. The Retry-After is the shared
 * state's own (REDIS_RETRY_AFTER_MS).
 */
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SharedQuotaGate } from "../../src/shared-state/shared-quota-gate.js";
import { RedisQuotaLedger } from "../../src/shared-state/redis-quota-ledger.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { REDIS_RETRY_AFTER_MS } from "../../src/shared-state/redis-connection.js";
import { createLogger } from "../../src/logger.js";
import { api, newUser } from "../integration/helpers.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { startReplicas, type Replicas } from "../support/replicas.js";
import { useRedisServer } from "../support/use-redis.js";

describe.skipIf(!redisServerAvailable)(`a replica while Redis is down${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas({
      count: 1,
      emulator: { rateQuota: 100_000, rateWindowMs: 30_000 },
      env: { REDIS_COMMAND_TIMEOUT_MS: "300" },
    });
  });
  afterAll(() => replicas?.close());

  it("answers every request 503 with the shared state's Retry-After, writes nothing, and counts no 429", async () => {
    const bridge = replicas.bridges[0]!;
    const a = api(bridge);
    const created = await a.post("/Users", { ...newUser("down@example.com"), externalId: "ext-down" });
    expect(created.status).toBe(201);
    const id = String(created.body.id);

    await replicas.server.stop();
    try {
      replicas.emulator.clearRequests();
      const answers = {
        "GET by id": await a.get(`/Users/${id}`),
        "userName eq": await a.get(`/Users?filter=${encodeURIComponent('userName eq "down@example.com"')}`),
        "externalId eq": await a.get(`/Users?filter=${encodeURIComponent('externalId eq "ext-down"')}`),
        list: await a.get("/Users?count=5"),
        groups: await a.get("/Groups"),
        create: await a.post("/Users", newUser("another@example.com")),
        patch: await a.patch(`/Users/${id}`, [{ op: "replace", path: "name.givenName", value: "Changed" }]),
        put: await a.put(`/Users/${id}`, newUser("down@example.com")),
        delete: await a.delete(`/Users/${id}`),
      };
      const seen = Object.fromEntries(Object.entries(answers).map(([what, res]) => [what, `${res.status} ${String(res.headers["retry-after"])}`]));
      const retryAfter = String(REDIS_RETRY_AFTER_MS / 1000);
      expect(seen).toEqual(Object.fromEntries(Object.keys(answers).map((what) => [what, `503 ${retryAfter}`])));
      for (const res of Object.values(answers)) expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
      // Every BigCommerce call takes its slot in Redis first: none left.
      expect(replicas.emulator.requests).toEqual([]);

      const metrics = await request(bridge.url).get("/metrics").set(bridge.auth);
      expect(metrics.status).toBe(200);
      const scimLines = metrics.text.split("\n").filter((l) => l.startsWith("scim_requests_total{"));
      expect(scimLines.filter((l) => l.includes('status="429"'))).toEqual([]);
      expect(scimLines.some((l) => l.includes('status="503"'))).toBe(true);
    } finally {
      await replicas.server.start();
    }
  });
});

describe.skipIf(!redisServerAvailable)(`the shared quota gate's Retry-After${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  const redisServer = useRedisServer();

  it("after a 429 from BigCommerce, the gate (not the idle in-process governor) says how long the store is held back", async () => {
    const gate = new SharedQuotaGate(new RedisQuotaLedger(await redisServer.connect(), new Keyspace("retry-after"), { permitTtlMs: 10_000 }), createLogger("silent"));
    expect(gate.blockedForMs()).toBe(0);
    const permit = await gate.acquire();
    permit.release({ status: 429, headers: { "x-rate-limit-time-reset-ms": "20000", "x-rate-limit-requests-left": "0", "x-rate-limit-requests-quota": "150" } });
    expect(gate.blockedForMs()).toBeGreaterThan(19_000);
    expect(gate.blockedForMs()).toBeLessThanOrEqual(20_000);
  });
});
