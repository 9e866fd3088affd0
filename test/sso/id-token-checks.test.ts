import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserlessClient } from "./browserless-client.js";
import { startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * A scripted OpenID provider (node:http) whose token endpoint answers ID tokens that a real
 * provider would not mint for us: another audience, another issuer, expired, wrong nonce.
 * The "valid" case proves the script itself signs a customer in, so each refusal is the check's.
 */
type Mode =
  | "valid"
  | "foreign-audience"
  | "foreign-issuer"
  | "expired"
  | "wrong-nonce"
  | "no-nonce"
  | "alg-none"
  | "hs256-with-client-secret"
  | "two-audiences-no-azp"
  | "foreign-azp"
  | "signed-by-another-key";
let mode: Mode = "valid";
let server: Server;
let world: SsoWorld;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  // Not the issuer's: a token endpoint answer signed with it must not sign anyone in, although it
  // arrives over the connection to the issuer (openid-client alone would accept it).
  const impostor = (await generateKeyPair("RS256")).privateKey;
  let issuer = "";
  let nonce = "";
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/.well-known/openid-configuration") {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (url.pathname === "/jwks") return json({ keys: [jwk] });
    if (url.pathname === "/authorize") {
      nonce = url.searchParams.get("nonce") ?? "";
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", "scripted-code");
      back.searchParams.set("state", url.searchParams.get("state")!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      for await (const _chunk of req); // drain the form
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = { email: "ann@example.com", email_verified: true, nonce: mode === "wrong-nonce" ? "another-nonce" : nonce };
      if (mode === "no-nonce") delete claims.nonce;
      if (mode === "foreign-azp") claims.azp = "some-other-client";
      const audience =
        mode === "foreign-audience" ? "some-other-client" : mode === "two-audiences-no-azp" ? ["bridge-storefront", "some-other-client"] : "bridge-storefront";
      const unsigned = new SignJWT(claims)
        .setIssuer(mode === "foreign-issuer" ? "https://other-idp.example" : issuer)
        .setAudience(audience)
        .setSubject("ann")
        .setIssuedAt(mode === "expired" ? now - 7200 : now)
        .setExpirationTime(mode === "expired" ? now - 3600 : now + 300);
      let idToken: string;
      if (mode === "alg-none") {
        const payload = (await unsigned.setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32))).split(".")[1];
        idToken = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
      } else if (mode === "hs256-with-client-secret") {
        idToken = await unsigned.setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("oidc-client-secret-0123456789abcdef"));
      } else {
        idToken = await unsigned.setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(mode === "signed-by-another-key" ? impostor : privateKey);
      }
      return json({ access_token: "scripted-access-token", token_type: "Bearer", expires_in: 300, id_token: idToken });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  world = await startSsoWorld({ issuer });
  await world.provision({ userName: "ann@example.com", name: { givenName: "Ann", familyName: "Lee" } });
});
afterAll(async () => {
  await world?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

const signIn = async () => {
  const client = new BrowserlessClient();
  const page = await client.browse(`${world.bridgeUrl}/sso/login?redirect_to=/account.php`);
  return { client, page };
};

describe("ID token checks", () => {
  it("signs in with a valid ID token from the scripted provider", async () => {
    mode = "valid";
    const { page } = await signIn();
    expect(page.url).toBe(`${world.storefrontUrl}/account.php`);
    expect(page.body).toContain("ann@example.com");
  });

  it.each([
    "foreign-audience",
    "foreign-issuer",
    "expired",
    "wrong-nonce",
    "no-nonce",
    "alg-none",
    "hs256-with-client-secret",
    "two-audiences-no-azp",
    "foreign-azp",
    "signed-by-another-key",
  ] as const)("refuses an ID token that is %s with 401 and mints no token", async (m) => {
    mode = m;
    const { client, page } = await signIn();
    expect(page.url.startsWith(`${world.bridgeUrl}/sso/callback?`)).toBe(true);
    expect(page.status).toBe(401);
    expect(page.body).toMatch(/could not be verified/);
    expect(client.history.some((s) => (s.location ?? "").includes("/login/token/"))).toBe(false);
  });
});

describe("an identity provider that does not answer", () => {
  let down: SsoWorld;
  beforeAll(async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    down = await startSsoWorld({ issuer: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await down?.close();
  });

  it("answers /sso/login with a 502 page and sets no pending sign-in", async () => {
    const client = new BrowserlessClient();
    const page = await client.request(`${down.bridgeUrl}/sso/login`);
    expect(page.status).toBe(502);
    expect(page.body).toMatch(/could not be reached/);
    expect(client.cookie("scim_bridge_sso")).toBeUndefined();
  });
});
