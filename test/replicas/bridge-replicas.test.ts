import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, newUser, type RunningBridge } from "../integration/helpers.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { startReplicas, withReplicas, type Replicas } from "../support/replicas.js";

/** Three bridge replicas on one emulator, sharing one real redis-server. */
describe.skipIf(!redisServerAvailable)(`bridge replicas sharing Redis${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas({
      count: 3,
      redis: { password: "replica-secret" },
      // Latency widens the window in which unserialised writes would interleave.
      emulator: { rateQuota: 100_000, rateWindowMs: 30_000, latencyMs: 40 },
      // Each replica serves what it receives (as while leadership changes hands): the shared lock,
      // quota and memories alone must keep them correct. Forwarding is tested further down.
      env: { REDIS_COMMAND_TIMEOUT_MS: "500", REDIS_LOCK_LEASE_MS: "3000", BIGCOMMERCE_REQUEST_TIMEOUT_MS: "1500", REPLICA_FORWARDING: "off" },
    });
  });
  afterAll(() => replicas?.close());

  it("serialises concurrent writes to one user that arrive at different replicas", async () => {
    const created = await api(replicas.bridges[0]!).post("/Users", newUser("serial@example.com"));
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    replicas.emulator.clearRequests();

    const titles = ["one", "two", "three", "four", "five", "six"];
    const answers = await Promise.all(
      titles.map((title, i) => api(replicas.bridges[i % 3]!).patch(`/Users/${id}`, [{ op: "replace", path: "name.givenName", value: title }])),
    );
    expect(answers.map((a) => a.status)).toEqual(titles.map(() => 200));

    // Each PATCH reads the customer, then writes it. Serialised, no read of one PATCH may fall
    // between the read and the write of another: the log alternates read, write, read, write.
    const customerCalls = replicas.emulator.requests
      .filter((r) => r.path.endsWith("/v3/customers") && (r.method === "GET" || r.method === "PUT"))
      .sort((x, y) => x.at - y.at)
      .map((r) => r.method);
    expect(customerCalls).toEqual(titles.flatMap(() => ["GET", "PUT"]));
  });

  it("writes the externalId index behind the answer, and another replica finds the user by externalId at once", async () => {
    // The index's metafield write is held up: the create is answered before it lands.
    replicas.emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", delayMs: 5_000, count: 1 });
    try {
      const created = await api(replicas.bridges[0]!).post("/Users", { ...newUser("behind@example.com"), externalId: "ext-behind-1" });
      expect(created.status).toBe(201);
      const indexed = () => replicas.emulator.requests.some((r) => r.method === "POST" && r.path.endsWith("/v3/customers/metafields") && r.status !== undefined && r.status < 300);
      const found = await api(replicas.bridges[1]!).get(`/Users?filter=${encodeURIComponent('externalId eq "ext-behind-1"')}`);
      expect(found.status).toBe(200);
      expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([created.body.id]);
      // Until the metafield is written, the pending entry in Redis is what answered.
      expect(indexed()).toBe(false);
      // Once written, the entry is in BigCommerce and still found from a third replica.
      for (let i = 0; i < 200 && !indexed(); i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(indexed()).toBe(true);
      const later = await api(replicas.bridges[2]!).get(`/Users?filter=${encodeURIComponent('externalId eq "ext-behind-1"')}`);
      expect(later.body.Resources.map((u: { id: string }) => u.id)).toEqual([created.body.id]);
    } finally {
      replicas.emulator.faults.clear();
    }
  });

  it("a POST /Groups that failed half-way on one replica is finished by the IdP's retry on another: 201, one group", async () => {
    const ids = [];
    for (const email of ["g-a@example.com", "g-b@example.com"]) ids.push(String((await api(replicas.bridges[0]!).post("/Users", newUser(email))).body.id));
    const body = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Retried Across", members: ids.map((value) => ({ value })) };
    replicas.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 3 });
    const first = await api(replicas.bridges[0]!).post("/Groups", body);
    replicas.emulator.faults.clear();
    expect(first.status).toBe(503);
    const retry = await api(replicas.bridges[1]!).post("/Groups", body);
    expect(retry.status).toBe(201);
    expect(retry.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...ids].sort());
    const listed = await api(replicas.bridges[2]!).get(`/Groups?filter=${encodeURIComponent('displayName eq "Retried Across"')}`);
    expect(listed.body.totalResults).toBe(1);
  });

  it("answers 503 with Retry-After and writes nothing while Redis is down; carries on when it is back", async () => {
    const created = await api(replicas.bridges[1]!).post("/Users", newUser("outage@example.com"));
    expect(created.status).toBe(201);
    const id = String(created.body.id);

    expect((await request(replicas.bridges[2]!.url).get("/readyz")).body).toEqual({ ready: true, checks: { bigcommerce: "ok", redis: "ok" } });
    await replicas.server.stop();
    const notReady = await request(replicas.bridges[2]!.url).get("/readyz");
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ ready: false, checks: { redis: "failing" }, reason: "Redis is not answering" });
    replicas.emulator.clearRequests();
    const during = await api(replicas.bridges[2]!).patch(`/Users/${id}`, [{ op: "replace", path: "name.givenName", value: "Changed" }]);
    expect(during.status).toBe(503);
    expect(during.headers["content-type"]).toMatch(/application\/scim\+json/);
    expect(Number(during.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(during.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
    expect(JSON.stringify(during.body)).not.toMatch(/ECONNREFUSED|replica-secret|at .*\.ts/);
    expect(replicas.emulator.requests.filter((r) => r.method !== "GET")).toEqual([]);

    await replicas.server.start();
    // ioredis reconnects on its own (capped backoff); the IdP's retries then succeed.
    let after = during;
    for (let attempt = 0; attempt < 100 && after.status !== 200; attempt += 1) {
      await new Promise((r) => setTimeout(r, 100));
      after = await api(replicas.bridges[2]!).patch(`/Users/${id}`, [{ op: "replace", path: "name.givenName", value: "Changed" }]);
      if (after.status !== 200) expect(after.status).toBe(503);
    }
    expect(after.status).toBe(200);
    expect(after.body.name.givenName).toBe("Changed");
    expect((await request(replicas.bridges[2]!.url).get("/readyz")).status).toBe(200);
  });
});

describe.skipIf(!redisServerAvailable)(`replicas passing requests to the leader${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  it("20 concurrent lookups spread over 3 replicas under quota pressure share at most 2 calls (one process's batching)", async () => {
    // A short window from the start, so the replicas learn it (a real store's window never changes).
    await withReplicas({ count: 3, emulator: { rateQuota: 100_000, rateWindowMs: 4_000 } }, async ({ emulator, bridges: replicas }) => {
      const users = (await Promise.all(Array.from({ length: 20 }, (_, i) => api(replicas[i % 3]!).post("/Users", newUser(`leader${i}@x.test`))))).map((r) => r.body);
      // Quota pressure: a small window whose budget the bridges have just spent.
      emulator.setOptions({ rateQuota: 4 });
      for (let i = 0; i < 4; i += 1) expect((await api(replicas[i % 3]!).get(`/Users/${users[i].id}`)).status).toBe(200);
      emulator.clearRequests();
      const found = await Promise.all(
        users.map((u, i) => api(replicas[i % 3]!).get(`/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}`)),
      );
      expect(found.map((r) => r.body.Resources.map((x: { id: string }) => x.id))).toEqual(users.map((u) => [u.id]));
      // Each replica batching alone would need a call of its own: at least 3.
      expect(emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith("/v3/customers")).length).toBeLessThanOrEqual(2);
      expect(emulator.requests.filter((r) => r.status === 429)).toHaveLength(0);
    });
  });
});

describe.skipIf(!redisServerAvailable)(`replicas when the leader stops${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  it("the others carry on at once: every request to them is still answered", async () => {
    await withReplicas({ count: 3, emulator: { rateQuota: 100_000, rateWindowMs: 30_000 } }, async ({ bridges: replicas }) => {
      const created = await api(replicas[1]!).post("/Users", newUser("handover@example.com"));
      expect(created.status).toBe(201);
      // Replica 0 started first and leads; it stops (a deploy), giving the lead up.
      await replicas[0]!.close();
      const answers = await Promise.all(
        [1, 2, 1, 2].map((r, i) => api(replicas[r]!).patch(`/Users/${created.body.id}`, [{ op: "replace", path: "name.givenName", value: `G${i}` }])),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      const reads = await Promise.all([1, 2].map((r) => api(replicas[r]!).get(`/Users/${created.body.id}`)));
      expect(reads.map((r) => r.status)).toEqual([200, 200]);
      // Concurrent writes end in one of them, the same whichever replica reads.
      expect(["G0", "G1", "G2", "G3"]).toContain(reads[0]!.body.name.givenName);
      expect(reads[1]!.body.name.givenName).toBe(reads[0]!.body.name.givenName);
    });
  });
});

describe.skipIf(!redisServerAvailable)(`recent reads across replicas${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let replicas: Replicas;
  let a: RunningBridge;
  let b: RunningBridge;

  beforeAll(async () => {
    replicas = await startReplicas({
      count: 2,
      emulator: { rateQuota: 100_000, rateWindowMs: 30_000 },
      // No forwarding: each replica serves its own requests, so their memories are apart. A long
      // recent-read span, so that nothing in this test depends on the machine's speed.
      env: { REPLICA_FORWARDING: "off", SCIM_RECENT_READ_MS: "10000" },
    });
    [a, b] = replicas.bridges as [RunningBridge, RunningBridge];
  });
  afterAll(() => replicas?.close());

  const given = async (id: string) => (await api(a).get(`/Users/${id}`)).body.name.givenName as string;

  it("a PATCH right after the same client's read on that replica starts from the read (no second GET)", async () => {
    const id = String((await api(a).post("/Users", newUser("recent-a@example.com"))).body.id);
    expect((await api(a).get(`/Users/${id}`)).status).toBe(200);
    replicas.emulator.clearRequests();
    const patched = await api(a).patch(`/Users/${id}`, [{ op: "replace", path: "name.givenName", value: "Quick" }]);
    expect(patched.status).toBe(200);
    expect(replicas.emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith("/v3/customers"))).toEqual([]);
    expect(await given(id)).toBe("Quick");
  });

  it("a write on another replica makes the remembered read stale: the PATCH reads again and its change is written", async () => {
    const id = String((await api(a).post("/Users", newUser("recent-b@example.com", { name: { givenName: "Before", familyName: "F" } }))).body.id);
    // Replica a remembers givenName "Before" for this client.
    expect((await api(a).get(`/Users/${id}`)).body.name.givenName).toBe("Before");
    // The same IdP changes it through replica b.
    expect((await api(b).patch(`/Users/${id}`, [{ op: "replace", path: "name.givenName", value: "Between" }])).status).toBe(200);
    // Back to "Before" through replica a: against its stale memory this would look like no
    // change at all, answered 200 with nothing written.
    replicas.emulator.clearRequests();
    const back = await api(a).patch(`/Users/${id}`, [{ op: "replace", path: "name.givenName", value: "Before" }]);
    expect(back.status).toBe(200);
    expect(replicas.emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith("/v3/customers")).length).toBeGreaterThanOrEqual(1);
    expect(replicas.emulator.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/v3/customers"))).toHaveLength(1);
    expect(await given(id)).toBe("Before");
  });
});
