import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBridge, type RunningBridge } from "./helpers.js";

const ISSUER = "https://sts.windows.net/00000000-0000-0000-0000-000000000001/";
let jwks: Server;
let b: RunningBridge;
let privateKey: SigningKey;
let otherKey: SigningKey;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwks = createServer((_req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  }).listen(0, "127.0.0.1");
  await new Promise((r) => jwks.once("listening", r));
  b = await startBridge({
    SCIM_JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
    SCIM_JWT_AUDIENCE: "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
    SCIM_JWT_ISSUER: ISSUER,
  });
});
afterAll(async () => {
  await b.close();
  jwks.close();
});

const token = (key: SigningKey) =>
  new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuer(ISSUER).setIssuedAt().setAudience("8adf8e6e-67b2-4cf2-a259-e3dc5476c621").setSubject("entra").setExpirationTime("5m").sign(key);

describe("JWT bearer tokens verified against a JWKS URL", () => {
  it("accepts a token signed by a published key", async () => {
    const res = await request(b.url).get("/scim/v2/Users?count=1").set("Authorization", `Bearer ${await token(privateKey)}`);
    expect(res.status).toBe(200);
  });

  // Issue 19, item 8: published keys sign tokens for many issuers' apps; the issuer is required.
  it("refuses a token signed by a published key for another issuer", async () => {
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer("https://sts.windows.net/another-tenant/")
      .setIssuedAt()
      .setAudience("8adf8e6e-67b2-4cf2-a259-e3dc5476c621")
      .setSubject("entra")
      .setExpirationTime("5m")
      .sign(privateKey);
    expect((await request(b.url).get("/scim/v2/Users?count=1").set("Authorization", `Bearer ${foreign}`)).status).toBe(401);
  });

  it("refuses a token signed by another key", async () => {
    const res = await request(b.url).get("/scim/v2/Users?count=1").set("Authorization", `Bearer ${await token(otherKey)}`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("invalid_token");
  });
});
