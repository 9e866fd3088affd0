import request from "supertest";
import { describe, expect, it } from "vitest";
import { useBridge, type UsedBridge } from "./helpers.js";

/**
 * Issue 19, item 10: failed authentications are counted per client address; past the limit a
 * failure answers 429 with Retry-After, while valid tokens from the same address keep working.
 * The address is the TCP peer unless TRUST_PROXY names the proxies whose X-Forwarded-For counts.
 * (The window itself is tested on the fake clock: test/unit/address-throttle.test.ts.)
 */
const LIMIT = 5;
const users = (b: UsedBridge, auth: string, forwardedFor?: string) => {
  const r = request(b.url).get("/scim/v2/Users?count=1").set("Authorization", auth);
  return forwardedFor === undefined ? r : r.set("X-Forwarded-For", forwardedFor);
};

describe("without TRUST_PROXY", () => {
  const b = useBridge({ AUTH_FAILURE_LIMIT: String(LIMIT) });

  it("answers 429 with Retry-After after a burst of 401s; a valid token from the same address still works", async () => {
    for (let i = 0; i < LIMIT; i++) expect((await users(b, `Bearer wrong-token-${i}-aaaaaaaaaaaa`)).status).toBe(401);
    const refused = await users(b, "Bearer wrong-token-again-aaaaaaaa");
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers["content-type"]).toMatch(/application\/scim\+json/);
    expect(refused.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "429" });
    // No token at all counts too, and /metrics shares the count.
    expect((await request(b.url).get("/scim/v2/Users")).status).toBe(429);
    expect((await request(b.url).get("/metrics").set("Authorization", "Bearer nope-nope-nope-nope")).status).toBe(429);

    expect((await request(b.url).get("/scim/v2/Users?count=1").set(b.auth)).status).toBe(200);
    expect((await request(b.url).get("/metrics").set(b.auth)).status).toBe(200);
  });

  it("believes no X-Forwarded-For: rotating it does not escape the count", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await users(b, "Bearer wrong-token-forwarded-aaaa", `203.0.113.${i + 1}`)).status).toBe(429);
    }
  });
});

describe("with TRUST_PROXY=loopback (the proxy in front is on this host)", () => {
  const b = useBridge({ AUTH_FAILURE_LIMIT: String(LIMIT), TRUST_PROXY: "loopback" });

  it("counts per forwarded client address", async () => {
    for (let i = 0; i < LIMIT; i++) expect((await users(b, "Bearer wrong-token-aaaaaaaaaaaaaa", "203.0.113.10")).status).toBe(401);
    expect((await users(b, "Bearer wrong-token-aaaaaaaaaaaaaa", "203.0.113.10")).status).toBe(429);
    // Another client behind the same proxy has its own count.
    expect((await users(b, "Bearer wrong-token-aaaaaaaaaaaaaa", "203.0.113.11")).status).toBe(401);
    // The limited client's valid token works.
    expect((await request(b.url).get("/scim/v2/Users?count=1").set(b.auth).set("X-Forwarded-For", "203.0.113.10")).status).toBe(200);
  });
});
