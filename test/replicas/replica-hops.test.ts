import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOP_HEADER } from "../../src/http/replica-hop.js";
import { createLogger } from "../../src/logger.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { connectRedis } from "../../src/shared-state/redis-connection.js";
import { api, newUser, STORE_HASH, startBridge, type RunningBridge } from "../integration/helpers.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { startReplicas, type Replicas } from "../support/replicas.js";

/**
 * Replicas with forwarding on, over a real redis-server: a leadership claim written back into
 * Redis after its leader left sends nothing to its old address, and a leader refuses a hop that
 * does not carry a valid credential, whatever Authorization comes with it.
 */
describe.skipIf(!redisServerAvailable)(`hops between replicas${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  let replicas: Replicas;
  let stale: Server | undefined;
  const late: RunningBridge[] = [];
  beforeAll(async () => {
    replicas = await startReplicas({ count: 2, emulator: { rateQuota: 100_000, rateWindowMs: 30_000 } });
  });
  afterAll(async () => {
    for (const b of late) await b.close();
    stale?.closeAllConnections();
    await new Promise<void>((resolve) => (stale ? stale.close(() => resolve()) : resolve()));
    await replicas?.close();
  });

  const redis = async () => {
    const c = connectRedis({ url: replicas.server.url, commandTimeoutMs: 1_000 }, createLogger("silent"));
    await once(c, "ready");
    return c;
  };

  it("a leader refuses a forged hop with 401 even with a valid bearer token, and writes nothing", async () => {
    const [leader] = replicas.bridges as [RunningBridge, RunningBridge];
    replicas.emulator.clearRequests();
    const res = await api(leader)
      .post("/Users", newUser("forged-hop@example.com"))
      .set(HOP_HEADER, `${Date.now()}.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`)
      .set("x-scim-bridge-hop-to", "anyone")
      .set("x-scim-bridge-client", "token%231")
      .set("x-scim-bridge-body-sha256", "x");
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "401" });
    expect(replicas.emulator.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("a follower passes requests on without the IdP's token; the leader answers them", async () => {
    const [, follower] = replicas.bridges as [RunningBridge, RunningBridge];
    const created = await api(follower).post("/Users", newUser("via-leader@example.com"));
    expect(created.status).toBe(201);
    expect((await api(follower).get(`/Users/${created.body.id}`)).body.userName).toBe("via-leader@example.com");
  });

  it("a claim replayed into Redis after its leader left sends no request to the old address", async () => {
    const [first, second] = replicas.bridges as [RunningBridge, RunningBridge];
    const keys = new Keyspace(STORE_HASH);
    const r = await redis();
    try {
      const old = String(await r.get(keys.leader()));
      const claim = JSON.parse(old) as { url: string; exp: number };
      expect(claim.url).toBe(first.url);
      // The first replica goes away (a deploy); its address is taken by something that answers.
      await first.close();
      const port = Number(new URL(first.url).port);
      const reached: string[] = [];
      stale = createServer((req, res) => {
        reached.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
        res.writeHead(200, { "content-type": "application/scim+json" }).end('{"Resources":[]}');
      });
      stale.listen(port, "127.0.0.1");
      await once(stale, "listening");
      // The second replica takes the lead, with a newer epoch.
      const leaderUrl = async () => (JSON.parse(String(await r.get(keys.leader()))) as { url?: string } | null)?.url;
      for (let i = 0; i < 300 && (await leaderUrl()) !== second.url; i += 1) await new Promise((res) => setTimeout(res, 50));
      expect(await leaderUrl()).toBe(second.url);

      // The old, genuinely signed claim is written back, with a lease as a replica would.
      await r.set(keys.leader(), old, "PX", 60_000);
      const user = await api(second).post("/Users", newUser("replay@example.com"));
      expect(user.status).toBe(201);
      // Over two renewals of the second replica, and past the old claim's expiry, then with a
      // replica that starts only now (it never saw the newer epoch).
      const until = Math.max(Date.now() + 4_000, claim.exp + 500);
      while (Date.now() < until) {
        expect((await api(second).get(`/Users/${user.body.id}`)).status).toBe(200);
        await new Promise((res) => setTimeout(res, 200));
      }
      const newcomer = await startBridge({ REDIS_URL: replicas.server.url }, {}, { emulator: replicas.emulator });
      late.push(newcomer);
      for (let i = 0; i < 5; i += 1) expect((await api(newcomer).get(`/Users/${user.body.id}`)).status).toBe(200);
      expect(reached).toEqual([]);
    } finally {
      r.disconnect();
    }
  });
});
