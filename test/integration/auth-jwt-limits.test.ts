import request from "supertest";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { useBridge } from "./helpers.js";

/**
 * Issue 19, item 8: a JWT is a SCIM administrator only when it was issued to an allowed subject
 * and is neither long-lived nor old (a token valid for 100 years was accepted).
 */
const SECRET = "a-shared-secret-that-is-long-enough-1234";
const b = useBridge({
  SCIM_JWT_SECRET: SECRET,
  SCIM_JWT_ISSUER: "https://idp.example",
  SCIM_JWT_AUDIENCE: "scim-bridge",
  SCIM_JWT_ALLOWED_SUBJECTS: "okta-app,0oa1client",
  SCIM_JWT_MAX_AGE_S: "3600",
});

const nowS = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, times: { iat?: number | null; exp?: number | null }) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("https://idp.example").setAudience("scim-bridge");
  const iat = times.iat === undefined ? nowS() : times.iat;
  const exp = times.exp === undefined ? nowS() + 300 : times.exp;
  if (iat !== null) jwt.setIssuedAt(iat);
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(new TextEncoder().encode(SECRET));
};
const get = async (token: string) => request(b.url).get("/scim/v2/Users?count=1").set("Authorization", `Bearer ${token}`);

describe("JWT subjects and age", () => {
  it.each([
    ["sub", { sub: "okta-app" }],
    ["client_id", { sub: "someone", client_id: "0oa1client" }],
    ["azp", { azp: "okta-app" }],
  ])("accepts a token whose %s is allowed", async (_name, claims) => {
    expect((await get(await sign(claims, {}))).status).toBe(200);
  });

  it("refuses a token issued to a subject not on the allow-list", async () => {
    const res = await get(await sign({ sub: "another-app", azp: "another-client" }, {}));
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("invalid_token");
  });

  it.each([
    ["valid for 100 years", { iat: nowS(), exp: nowS() + 100 * 365 * 86_400 }],
    ["issued two hours ago (still unexpired)", { iat: nowS() - 7_200, exp: nowS() + 60 }],
    ["without iat but expiring in a day", { iat: null, exp: nowS() + 86_400 }],
    ["without exp", { iat: nowS(), exp: null }],
    ["issued in the future", { iat: nowS() + 600, exp: nowS() + 900 }],
  ])("refuses a token %s", async (_name, times) => {
    expect((await get(await sign({ sub: "okta-app" }, times))).status).toBe(401);
  });

  it("accepts a token at the bound (an hour's lifetime, 50 minutes old)", async () => {
    expect((await get(await sign({ sub: "okta-app" }, { iat: nowS() - 3_000, exp: nowS() + 600 }))).status).toBe(200);
    expect((await get(await sign({ sub: "okta-app" }, { iat: null, exp: nowS() + 3_000 }))).status).toBe(200);
  });
});
