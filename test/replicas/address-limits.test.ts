/**
 * The per-address limits (failed SCIM authentications, storefront sign-ins; docs/security.md)
 * hold across replicas: with REDIS_URL an address's count is one Redis key per window, so N
 * replicas allow it `limit` events per minute, not N times that, and every replica's Retry-After
 * is that window's end. With Redis down each replica counts on its own (as without Redis): a
 * failed authentication is still refused, and a valid token still works.
 * (The in-process table and its window on the fake clock: test/unit/address-throttle.test.ts.)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantEntry, tenantToken, startTenants, type RunningTenants } from "../../src/dev/tenants-harness.js";
import { logLinesInto } from "../../src/dev/bridge-harness.js";
import { loadConfig } from "../../src/config.js";
import { composeTenants } from "../../src/tenants/index.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/logger.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { RedisAddressThrottle } from "../../src/shared-state/redis-address-throttle.js";
import { startSsoWorld, type SsoWorld } from "../sso/harness.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { startReplicas, type Replicas } from "../support/replicas.js";
import { useRedisServer } from "../support/use-redis.js";

const skip = redisServerAvailable ? "" : ` (${SKIP_REASON})`;
const LIMIT = 3;
const MINUTE = 60_000;
const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as { level: number; msg: string; limit?: string });

describe.skipIf(!redisServerAvailable)(`RedisAddressThrottle${skip}`, () => {
  const redis = useRedisServer({ perTest: true });
  const keys = new Keyspace("limits");
  /** Two replicas' throttles (each its own connection), and what each logs. */
  const replicaPair = async (windowMs = MINUTE) => {
    const logs: string[][] = [[], []];
    const throttles = await Promise.all(
      logs.map(async (lines) => new RedisAddressThrottle(await redis.connect(300), keys, "auth-failures", { limit: LIMIT, windowMs, maxAddresses: 100 }, createLogger("info", logLinesInto(lines)))),
    );
    return { a: throttles[0]!, b: throttles[1]!, logs };
  };

  it("counts an address once for both replicas, in one expiring key that names no address", async () => {
    const { a, b } = await replicaPair();
    const waits = [await a.hit("198.51.100.7"), await a.hit("198.51.100.7"), await b.hit("198.51.100.7"), await b.hit("198.51.100.7")];
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThan(0);
    expect(await a.hit("198.51.100.7")).toBeGreaterThan(0);
    // Another address, and another limit for the same address, have their own counts.
    expect(await b.hit("198.51.100.8")).toBe(0);
    const signIns = new RedisAddressThrottle(await redis.connect(), keys, "sign-ins", { limit: LIMIT, windowMs: MINUTE, maxAddresses: 100 }, createLogger("silent"));
    expect(await signIns.hit("198.51.100.7")).toBe(0);

    const client = await redis.connect();
    const stored = await client.keys("*");
    expect(stored).toHaveLength(3);
    for (const key of stored) {
      expect(key).toMatch(/^scim-bridge:\{limits\}:limit:(auth-failures|sign-ins):[0-9a-f]{32}$/);
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(MINUTE);
    }
    expect(await client.get(keys.addressCount("auth-failures", "198.51.100.7"))).toBe("5");
  });

  it("counts IPv6 per /64 across replicas, as the process does", async () => {
    const { a, b } = await replicaPair();
    for (const address of ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:0db8:0001:0002:ffff::9"]) expect(await a.hit(address)).toBe(0);
    expect(await b.hit("2001:db8:1:2:aaaa::1")).toBeGreaterThan(0);
    expect(await b.hit("2001:db8:1:3::1")).toBe(0);
  });

  it("answers, on the replica that did not start the window, the time left in that window", async () => {
    const { a, b } = await replicaPair();
    await a.hit("192.0.2.5");
    const started = Date.now(); // the window began before this
    await sleep(1_100);
    const asked = Date.now(); // b counts after this
    for (let i = 0; i < LIMIT - 1; i++) expect(await b.hit("192.0.2.5")).toBe(0);
    const wait = await b.hit("192.0.2.5");
    // Not a fresh minute of b's own: what is left of a's window, which Redis's key still holds.
    expect(wait).toBeLessThanOrEqual(MINUTE - (asked - started));
    expect(wait).toBeGreaterThanOrEqual(await (await redis.connect()).pttl(keys.addressCount("auth-failures", "192.0.2.5")));
  });

  it("starts a new window when the key has expired", async () => {
    const { a, b } = await replicaPair(1_000);
    const client = await redis.connect();
    const key = keys.addressCount("auth-failures", "192.0.2.6");
    for (let i = 0; i <= LIMIT; i++) await a.hit("192.0.2.6");
    while ((await client.exists(key)) === 1) await sleep(50);
    // Over the limit had the count gone on; a new window instead, with its own expiry.
    expect(await b.hit("192.0.2.6")).toBe(0);
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
  });

  it("with Redis down, each replica counts on its own (warning once), and shares again once Redis is back", async () => {
    const { a, b, logs } = await replicaPair();
    await redis.server.stop();
    // The process's own count: a's events only.
    const aWaits = [];
    for (let i = 0; i <= LIMIT; i++) aWaits.push(await a.hit("192.0.2.7"));
    expect(aWaits.slice(0, LIMIT)).toEqual([0, 0, 0]);
    expect(aWaits[LIMIT]).toBeGreaterThan(0);
    expect(aWaits[LIMIT]).toBeLessThanOrEqual(MINUTE);
    expect(await b.hit("192.0.2.7")).toBe(0);
    const warnings = parsed(logs[0]!).filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ limit: "auth-failures", msg: expect.stringContaining("counts on its own") });

    await redis.server.start();
    // ioredis reconnects by itself; meanwhile every event is still counted by its process.
    const backInRedis = async (throttle: RedisAddressThrottle, lines: string[]) => {
      for (let i = 0; i < 100 && !parsed(lines).some((l) => l.msg.includes("counted in Redis again")); i++) {
        await sleep(100);
        await throttle.hit("192.0.2.99");
      }
    };
    await backInRedis(a, logs[0]!);
    await backInRedis(b, logs[1]!);
    expect(parsed(logs[1]!).filter((l) => l.level === 40)).toHaveLength(1);
    // Shared again: two events on a and one on b are the limit, the next one on b is over it.
    await a.hit("192.0.2.8");
    await a.hit("192.0.2.8");
    expect(await b.hit("192.0.2.8")).toBe(0);
    expect(await b.hit("192.0.2.8")).toBeGreaterThan(0);
  });
});

describe.skipIf(!redisServerAvailable)(`two replicas' failed authentications${skip}`, () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas({
      count: 2,
      emulator: { rateQuota: 100_000, rateWindowMs: 30_000 },
      // Each phase of the test is a client of its own (X-Forwarded-For from the loopback proxy).
      env: { AUTH_FAILURE_LIMIT: String(LIMIT), TRUST_PROXY: "loopback", REDIS_COMMAND_TIMEOUT_MS: "300" },
    });
  });
  afterAll(() => replicas?.close());

  const wrong = (i: number, client: string) => request(replicas.bridges[i]!.url).get("/scim/v2/Users?count=1").set({ Authorization: "Bearer wrong-token-aaaaaaaaaaaaaaaa", "X-Forwarded-For": client });
  const valid = (i: number, client: string, path = "/scim/v2/Users?count=1") => request(replicas.bridges[i]!.url).get(path).set({ ...replicas.bridges[i]!.auth, "X-Forwarded-For": client });

  it("share one limit: two failures on each replica make the fourth a 429 on either, until the window's end", async () => {
    const client = "203.0.113.10";
    expect((await wrong(0, client)).status).toBe(401);
    const started = Date.now(); // the window began before this
    await sleep(1_100);
    expect((await wrong(0, client)).status).toBe(401);
    expect((await wrong(1, client)).status).toBe(401);
    const fourth = await wrong(1, client);
    expect(fourth.status).toBe(429);
    expect(fourth.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "429" });
    // Replica 1's own minute would say 60: what is left of the window replica 0 began.
    const retryAfter = Number(fourth.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((MINUTE - 1_100) / 1000));
    const sent = Date.now();
    const onFirst = await wrong(0, client);
    expect(onFirst.status).toBe(429);
    expect(Number(onFirst.headers["retry-after"])).toBeLessThanOrEqual(Math.ceil((MINUTE - (sent - started)) / 1000));
    // A valid token from that client is served on both.
    expect((await valid(0, client)).status).toBe(200);
    expect((await valid(1, client)).status).toBe(200);
    // Another client has its own count.
    expect((await wrong(1, "203.0.113.11")).status).toBe(401);
  });

  it("with Redis stopped, a wrong token is still refused (401, then 429 per replica) and a valid one still authenticates", async () => {
    const client = "203.0.113.20";
    await replicas.server.stop();
    try {
      const onFirst = [];
      for (let i = 0; i <= LIMIT; i++) onFirst.push((await wrong(0, client)).status);
      expect(onFirst).toEqual([401, 401, 401, 429]);
      // The other replica's own count of that client.
      expect((await wrong(1, client)).status).toBe(401);
      const limited = await wrong(0, client);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(limited.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "429" });
      // /metrics needs no Redis: the limited client's valid token opens it (SCIM requests answer 503 without Redis: docs/replicas.md).
      expect((await valid(0, client, "/metrics")).status).toBe(200);
      expect((await valid(0, client)).status).toBe(503);
    } finally {
      await replicas.server.start();
    }
  });
});

describe.skipIf(!redisServerAvailable)(`two tenants processes' failed authentications${skip}`, () => {
  const redis = useRedisServer();
  let emulator: RunningEmulator;
  const processes: RunningTenants[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateQuota: 100_000 });
    const env = { REDIS_URL: redis.server.url, REDIS_COMMAND_TIMEOUT_MS: "500", AUTH_FAILURE_LIMIT: String(LIMIT) };
    for (let i = 0; i < 2; i++) processes.push(await startTenants((e) => ({ tenants: [tenantEntry(e, "north"), tenantEntry(e, "south")] }), { env, sharedEmulator: emulator }));
  });
  afterAll(async () => {
    for (const p of processes) await p.close();
    await emulator?.close();
  });

  it("count together, over every tenant's path and unknown tenants, under no store's keys", async () => {
    const guess = (i: number, tenant: string) => request(`${processes[i]!.url}/t/${tenant}/scim/v2`).get("/Users").set({ Authorization: `Bearer ${tenantToken("south")}x` });
    expect((await guess(0, "north")).status).toBe(401);
    expect((await guess(1, "south")).status).toBe(401);
    expect((await guess(0, "nobody")).status).toBe(401);
    expect((await guess(1, "north")).status).toBe(429);
    expect((await guess(0, "south")).status).toBe(429);
    // The tenant's own token still works from that address, on either process.
    for (const p of processes) expect((await request(`${p.url}/t/north/scim/v2`).get("/Users?count=1").set({ Authorization: `Bearer ${tenantToken("north")}` })).status).toBe(200);
    const limitKeys = (await (await redis.connect()).keys("*:limit:*")).sort();
    expect(limitKeys).toHaveLength(1);
    expect(limitKeys[0]).toMatch(/^scim-bridge:\{tenants-front\}:limit:auth-failures:[0-9a-f]{32}$/);
  });
});

describe.skipIf(!redisServerAvailable)(`a tenants process that cannot start${skip}`, () => {
  const redis = useRedisServer();

  it("leaves no Redis connection of its front behind when its audit file cannot be opened", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tenants-start-"));
    const notADirectory = join(dir, "file");
    writeFileSync(notADirectory, "");
    const config = loadConfig({
      SCIM_TENANTS_FILE: join(dir, "tenants.json"),
      SCIM_AUDIT_FILE: join(notADirectory, "audit.log"),
      REDIS_URL: redis.server.url,
      LOG_LEVEL: "silent",
    });
    const probe = await redis.connect();
    const clients = async () => String(await probe.client("LIST")).trim().split("\n").length;
    const before = await clients();
    await expect(composeTenants(config, { logger: createLogger("silent") })).rejects.toThrow();
    // A connection opened on the way would be up by now (loopback).
    await sleep(1_000);
    expect(await clients()).toBe(before);
  });
});

describe.skipIf(!redisServerAvailable)(`two replicas' storefront sign-ins${skip}`, () => {
  const redis = useRedisServer();
  const worlds: SsoWorld[] = [];
  beforeAll(async () => {
    // Two bridges of one store (the same store hash) sharing one Redis, each with its own OpenID provider.
    for (let i = 0; i < 2; i++) worlds.push(await startSsoWorld({ env: { SSO_RATE_LIMIT: String(LIMIT), REDIS_URL: redis.server.url } }));
  });
  afterAll(async () => {
    for (const w of worlds) await w.close();
  });

  it("share one SSO_RATE_LIMIT per address: starts and callbacks on both count together", async () => {
    const get = (i: number, path: string) => fetch(`${worlds[i]!.bridgeUrl}${path}`, { redirect: "manual" });
    expect((await get(0, "/sso/login?redirect_to=/account.php")).status).toBe(302);
    expect((await get(1, "/sso/login?redirect_to=/account.php")).status).toBe(302);
    expect((await get(0, "/sso/callback?code=x&state=y")).status).toBe(400); // no pending sign-in: refused, but counted
    const limited = await get(1, "/sso/login?redirect_to=/account.php");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await limited.text()).toContain("Too many sign-in attempts");
    expect((await get(0, "/sso/login?redirect_to=/account.php")).status).toBe(429);
    const keys = await (await redis.connect()).keys("*:limit:*");
    expect(keys).toEqual([expect.stringMatching(/^scim-bridge:\{ssostore\}:limit:sign-ins:[0-9a-f]{32}$/)]);
  });
});
