import request from "supertest";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { useBridge } from "./helpers.js";

const SECRET = "a-shared-secret-that-is-long-enough-1234";
const b = useBridge({
  SCIM_BEARER_TOKENS: "first-token-aaaaaaaaaaaa,second-token-bbbbbbbbbbb",
  SCIM_JWT_SECRET: SECRET,
  SCIM_JWT_ISSUER: "https://idp.example",
  SCIM_JWT_AUDIENCE: "scim-bridge",
});

const get = (auth?: string) => {
  const r = request(b.url).get("/scim/v2/Users?count=1");
  return auth === undefined ? r : r.set("Authorization", auth);
};
const jwt = (claims: { iss?: string; aud?: string; exp?: string }) =>
  new SignJWT({ sub: "okta-app" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setIssuer(claims.iss ?? "https://idp.example")
    .setAudience(claims.aud ?? "scim-bridge")
    .setExpirationTime(claims.exp ?? "5m")
    .sign(new TextEncoder().encode(SECRET));

describe("bearer authentication", () => {
  it.each(["Bearer first-token-aaaaaaaaaaaa", "bearer second-token-bbbbbbbbbbb", "BEARER first-token-aaaaaaaaaaaa"])(
    "accepts %s (tokens rotate; scheme is case-insensitive)",
    async (auth) => {
      expect((await get(auth)).status).toBe(200);
    },
  );

  it.each([
    ["no header", undefined, 'Bearer realm="scim"'],
    ["a wrong token", "Bearer first-token-aaaaaaaaaaab", 'Bearer realm="scim", error="invalid_token"'],
    ["a prefix of a token", "Bearer first-token", 'Bearer realm="scim", error="invalid_token"'],
    ["basic auth", "Basic Zmlyc3Q6dG9rZW4=", 'Bearer realm="scim"'],
    ["Okta's SPEC-test non-token", "non-token", 'Bearer realm="scim"'],
  ])("refuses %s with 401, a SCIM body and WWW-Authenticate", async (_name, auth, challenge) => {
    const res = await get(auth);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(challenge);
    expect(res.headers["content-type"]).toMatch(/application\/scim\+json/);
    expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "401" });
    expect(res.body.detail).toBeTruthy();
  });

  it("protects discovery endpoints too", async () => {
    expect((await request(b.url).get("/scim/v2/ServiceProviderConfig")).status).toBe(401);
  });

  it("accepts a JWT signed with the shared secret for the right issuer and audience", async () => {
    expect((await get(`Bearer ${await jwt({})}`)).status).toBe(200);
  });

  it.each([
    ["another audience", { aud: "someone-else" }],
    ["another issuer", { iss: "https://evil.example" }],
    ["an expired token", { exp: "-10m" }],
  ])("refuses a JWT with %s", async (_name, claims) => {
    expect((await get(`Bearer ${await jwt(claims)}`)).status).toBe(401);
  });

  it("answers /healthz without authentication", async () => {
    const res = await request(b.url).get("/healthz");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });
});

describe("bearer token quirks and JWT strictness", () => {
  it('accepts "Bearer Bearer <token>" (Entra adds the scheme, admins paste it too)', async () => {
    expect((await get("Bearer Bearer first-token-aaaaaaaaaaaa")).status).toBe(200);
  });

  it("refuses a JWT without an expiry", async () => {
    const forever = await new SignJWT({ sub: "x" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://idp.example")
      .setAudience("scim-bridge")
      .sign(new TextEncoder().encode(SECRET));
    expect((await get(`Bearer ${forever}`)).status).toBe(401);
  });
});
