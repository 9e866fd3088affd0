import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { startTenants, tenantEntry, tenantToken, type RunningTenants } from "../../src/dev/tenants-harness.js";
import { newUser } from "../integration/helpers.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { useRedisServer } from "../support/use-redis.js";

/** Issue 20: with REDIS_URL, each tenant's shared state stays under its own store hash in one Redis. */
describe.skipIf(!redisServerAvailable)(`tenants sharing one Redis${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  const redis = useRedisServer();
  let t: RunningTenants;
  beforeAll(async () => {
    t = await startTenants((emulator) => ({ tenants: [tenantEntry(emulator, "north"), tenantEntry(emulator, "south")] }), {
      env: { REDIS_URL: redis.server.url, REDIS_COMMAND_TIMEOUT_MS: "500" },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("keys every tenant's state by its own store hash", async () => {
    for (const id of ["north", "south"]) {
      const res = await request(`${t.url}/t/${id}/scim/v2`)
        .post("/Users")
        .set({ Authorization: `Bearer ${tenantToken(id)}`, "Content-Type": "application/scim+json" })
        .send(JSON.stringify(newUser("same@both.example")));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const keys = await (await redis.connect()).keys("*");
    expect(keys.some((k) => k.startsWith("scim-bridge:{northstore}:"))).toBe(true);
    expect(keys.some((k) => k.startsWith("scim-bridge:{southstore}:"))).toBe(true);
    expect(keys.filter((k) => !/^scim-bridge:\{(north|south)store\}:/.test(k))).toEqual([]);
    // Redis answers for every tenant: /readyz is ready.
    expect((await request(t.url).get("/readyz")).body).toMatchObject({ ready: true, tenants: { serving: 2, failing: 0 } });
  });
});

describe.skipIf(!redisServerAvailable)(`tenants processes as replicas${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  const redis = useRedisServer();
  let emulator: RunningEmulator;
  const leaderLines: string[] = [];
  let leader: RunningTenants;
  let follower: RunningTenants;
  const file = (e: RunningEmulator) => ({ tenants: [tenantEntry(e, "north"), tenantEntry(e, "south")] });
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateQuota: 100_000 });
    const env = { REDIS_URL: redis.server.url, REDIS_COMMAND_TIMEOUT_MS: "500", LOG_LEVEL: "info" };
    // The first to start leads each tenant's store; the other passes that tenant's requests on.
    leader = await startTenants(file, { env, sharedEmulator: emulator, logLines: leaderLines });
    follower = await startTenants(file, { env, sharedEmulator: emulator, logLines: [] });
  });
  afterAll(async () => {
    await follower?.close();
    await leader?.close();
    await emulator?.close();
  });

  it("a follower passes each tenant's requests to that tenant's leader, under the tenant's path", async () => {
    for (const id of ["north", "south"]) {
      const res = await request(`${follower.url}/t/${id}/scim/v2`)
        .post("/Users")
        .set({ Authorization: `Bearer ${tenantToken(id)}`, "Content-Type": "application/scim+json" })
        .send(JSON.stringify(newUser(`forwarded@${id}.example`)));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.meta.location).toBe(`${follower.url}/t/${id}/scim/v2/Users/${res.body.id}`);
      expect(emulator.store(`${id}store`).customers.where((c) => c.email === `forwarded@${id}.example`)).toHaveLength(1);
      // Served by the leader's bridge of that tenant.
      const served = leaderLines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request completed" && l.req?.method === "POST" && l.tenant === id);
      expect(served).toHaveLength(1);
    }
    // Another tenant's token is refused on the leader too (its front checks first).
    const wrong = await request(`${follower.url}/t/north/scim/v2`).get("/Users").set({ Authorization: `Bearer ${tenantToken("south")}` });
    expect(wrong.status).toBe(401);
    // A forged hop credential on a tenant's path is checked by that tenant's bridge, and refused.
    const forged = await request(`${leader.url}/t/north/scim/v2`).get("/Users").set({ "x-scim-bridge-hop": "forged", "x-scim-bridge-hop-to": "anyone" });
    expect(forged.status).toBe(401);
    // The same refusal as on an unknown tenant's path: a made-up hop does not tell which tenants exist.
    const unknown = await request(`${leader.url}/t/nobody/scim/v2`).get("/Users").set({ "x-scim-bridge-hop": "forged", "x-scim-bridge-hop-to": "anyone" });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(forged.body);
    expect(unknown.headers["www-authenticate"]).toBe(forged.headers["www-authenticate"]);
  });
});
