import { SignJWT } from "jose";
import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { StaticTokens } from "../../src/auth/bearer-token.js";
import { JwtVerifier } from "../../src/auth/jwt-verifier.js";
import { startTenants, tenantEntry, tenantToken, type RunningTenants } from "../../src/dev/tenants-harness.js";
import { newUser } from "./helpers.js";

/**
 * A tenant's credentials are checked once per request: by the front (src/tenants/front.ts), and
 * not again by the tenant's own app. The real verifiers are watched (spied, not replaced): each
 * request on every tenant path makes exactly one token comparison (and one JWT verification for a
 * JWT), a wrong credential is still refused everywhere, and each refusal counts once towards
 * AUTH_FAILURE_LIMIT.
 */
const LIMIT = 6;
const JWT_SECRET = "a-tenant-jwt-secret-that-is-long-enough-0123";
const jwt = (secret = JWT_SECRET) =>
  new SignJWT({ sub: "idp-app" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setIssuer("https://idp.example")
    .setAudience("scim-bridge")
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(secret));

let t: RunningTenants;
beforeAll(async () => {
  t = await startTenants(
    (emulator) => ({
      tenants: [
        tenantEntry(emulator, "by-token"),
        tenantEntry(emulator, "by-jwt", {
          scimTokens: [],
          settings: { SCIM_JWT_SECRET: JWT_SECRET, SCIM_JWT_ISSUER: "https://idp.example", SCIM_JWT_AUDIENCE: "scim-bridge" },
        }),
      ],
    }),
    { env: { AUTH_FAILURE_LIMIT: String(LIMIT), TRUST_PROXY: "loopback" } },
  );
});
afterAll(async () => {
  await t?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every path of a tenant that takes its credentials (its sign-in routes take none). */
const PATHS: [string, string, unknown?][] = [
  ["GET", "/scim/v2/Users?count=1"],
  ["GET", "/scim/v2/ServiceProviderConfig"],
  ["GET", "/scim/v2/Schemas"],
  ["POST", "/scim/v2/Users", newUser("once@example.com")],
  ["GET", "/metrics"],
  ["GET", "/readyz"],
  ["GET", "/healthz"],
];

function send(tenant: string, [method, path, body]: [string, string, unknown?], authorization: string, from: string, extra: Record<string, string> = {}) {
  const url = `${t.url}/t/${tenant}${path}`;
  const r = (method === "POST" ? request(url).post("") : request(url).get("")).set("Authorization", authorization).set("X-Forwarded-For", from).set(extra);
  return body === undefined ? r : r.set("Content-Type", "application/scim+json").send(JSON.stringify(body));
}

describe("a tenant's credentials", () => {
  it("are compared once per request on every path with a valid token", async () => {
    const match = vi.spyOn(StaticTokens.prototype, "match");
    for (const path of PATHS) {
      match.mockClear();
      const res = await send("by-token", path, `Bearer ${tenantToken("by-token")}`, "203.0.113.30");
      expect(res.status, path[1]).toBeLessThan(300);
      expect(match, path[1]).toHaveBeenCalledTimes(1);
    }
  });

  it("are verified once per request on every path with a valid JWT", async () => {
    const verify = vi.spyOn(JwtVerifier.prototype, "verify");
    const token = await jwt();
    for (const path of PATHS) {
      verify.mockClear();
      const res = await send("by-jwt", path, `Bearer ${token}`, "203.0.113.31");
      expect(res.status, path[1]).toBeLessThan(300);
      expect(verify, path[1]).toHaveBeenCalledTimes(1);
    }
  });

  it("of one tenant open no other: its token, its JWT and its proof are refused on the other tenant's paths", async () => {
    const token = await jwt();
    // Each refusal counts towards the limit: one address per path keeps them all 401s.
    for (const [i, path] of PATHS.entries()) {
      expect((await send("by-jwt", path, `Bearer ${tenantToken("by-token")}`, `198.51.100.${i + 1}`)).status, path[1]).toBe(401);
      expect((await send("by-token", path, `Bearer ${token}`, `198.51.100.${i + 1}`)).status, path[1]).toBe(401);
    }
    // Without a token, a replica hop header (neither tenant has replicas) opens nothing either.
    const hop = { "x-scim-bridge-hop": "1.AAAAAAAAAAAAAAAAAAAAAA.forged" };
    expect((await request(`${t.url}/t/by-token/scim/v2/Users`).get("").set("X-Forwarded-For", "203.0.113.36").set(hop)).status).toBe(401);
  });

  it("refuse a wrong token or JWT on every path, each refusal checked once and counted once towards AUTH_FAILURE_LIMIT", async () => {
    const match = vi.spyOn(StaticTokens.prototype, "match");
    const verify = vi.spyOn(JwtVerifier.prototype, "verify");
    const forged = await jwt("another-secret-that-is-long-enough-0123456");
    // One address for the lot: the limit is the process's, across tenants and paths.
    const attempts = [
      ...PATHS.map((path) => () => send("by-token", path, "Bearer wrong-token-aaaaaaaaaaaaaaa", "203.0.113.32")),
      ...PATHS.map((path) => () => send("by-jwt", path, `Bearer ${forged}`, "203.0.113.32")),
      // A replica hop header where the tenant has no replicas: the front leaves the SCIM API to the
      // tenant's app, which checks the token itself.
      () => send("by-token", PATHS[0]!, "Bearer wrong-token-aaaaaaaaaaaaaaa", "203.0.113.32", { "x-scim-bridge-hop": "1.AAAAAAAAAAAAAAAAAAAAAA.forged" }),
    ];
    let failures = 0;
    for (const attempt of attempts) {
      match.mockClear();
      verify.mockClear();
      const res = await attempt();
      failures += 1;
      expect(res.status).toBe(failures <= LIMIT ? 401 : 429);
      expect(match).toHaveBeenCalledTimes(1);
    }
    expect(failures).toBeGreaterThan(LIMIT);
    // The forged JWTs were verified (and refused) once each: JwtVerifier rejects, nothing else.
    verify.mockClear();
    expect((await send("by-jwt", PATHS[0]!, `Bearer ${forged}`, "203.0.113.33")).status).toBe(401);
    expect(verify).toHaveBeenCalledTimes(1);
    // Nothing was written by the refused POSTs.
    expect(t.emulator.store("bytokenstore").customers.all().filter((c) => c.email === "once@example.com")).toHaveLength(1);
  });
});
