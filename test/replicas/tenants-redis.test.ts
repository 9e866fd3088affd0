import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
