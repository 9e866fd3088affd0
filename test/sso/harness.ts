import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Bridge } from "../../src/app.js";
import { composeBridge } from "../../src/compose.js";
import { loadConfig } from "../../src/config.js";
import { logLinesInto } from "../../src/dev/bridge-harness.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/logger.js";
import { type DevAccounts, startDevProvider } from "../../src/sso/dev-provider.js";

export const STORE_HASH = "ssostore";
export const TOKEN = "sso-test-token-0123456789";
export const APP = { clientId: "bc-app-client-id", clientSecret: "bc-app-client-secret-0123456789abcdef" };
export const COOKIE_SECRET = "sso-cookie-secret-0123456789abcdefghij";
const OIDC_CLIENT = { clientId: "bridge-storefront", clientSecret: "oidc-client-secret-0123456789abcdef" };

export interface SsoWorld {
  bridgeUrl: string;
  storefrontUrl: string;
  issuer: string;
  emulator: RunningEmulator;
  bridge: Bridge;
  /** Creates a user through the bridge's SCIM API (the way an IdP provisions it); returns its id. */
  provision(user: Record<string, unknown>): Promise<string>;
  deactivate(id: string): Promise<void>;
  close(): Promise<void>;
}

/** A server whose handler is attached later: its URL has to be known before the app exists. */
async function deferredServer(): Promise<{ server: Server; url: string; attach(h: (req: IncomingMessage, res: ServerResponse) => void): void }> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attach: (h) => {
      handler = h;
    },
  };
}

/**
 * Everything storefront sign-in touches, on real loopback ports: the emulator (API and
 * storefront), an OpenID provider (oidc-provider, or the issuer given) and the bridge.
 */
export async function startSsoWorld(
  options: {
    accounts?: DevAccounts;
    issuer?: string;
    env?: Record<string, string>;
    logLines?: string[];
    /** Runs before the bridge starts (e.g. channels and groups its start-up checks look for). */
    prepare?: (emulator: RunningEmulator) => void;
  } = {},
): Promise<SsoWorld> {
  const bridgeServer = await deferredServer();
  const bridgeUrl = bridgeServer.url;
  const provider =
    options.issuer === undefined
      ? await startDevProvider({
          client: { ...OIDC_CLIENT, redirectUri: `${bridgeUrl}/sso/callback` },
          accounts: options.accounts ?? (() => undefined),
        })
      : null;
  const issuer = options.issuer ?? provider!.issuer;
  const emulator = await startEmulator({
    rateQuota: 100_000,
    storefront: { storeHash: STORE_HASH, ...APP, ssoLoginUrl: `${bridgeUrl}/sso/login?redirect_to=/account.php` },
  });
  options.prepare?.(emulator);
  const config = loadConfig({
    SCIM_BEARER_TOKENS: TOKEN,
    BIGCOMMERCE_STORE_HASH: STORE_HASH,
    BIGCOMMERCE_ACCESS_TOKEN: "emulator-token",
    BIGCOMMERCE_API_URL: emulator.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    PUBLIC_BASE_URL: bridgeUrl,
    SSO_OIDC_ISSUER: issuer,
    SSO_OIDC_CLIENT_ID: OIDC_CLIENT.clientId,
    SSO_OIDC_CLIENT_SECRET: OIDC_CLIENT.clientSecret,
    SSO_STOREFRONT_URL: emulator.url,
    BIGCOMMERCE_CLIENT_ID: APP.clientId,
    BIGCOMMERCE_CLIENT_SECRET: APP.clientSecret,
    SSO_COOKIE_SECRET: COOKIE_SECRET,
    ...options.env,
  });
  const logger =
    options.logLines === undefined ? createLogger(config.logLevel) : createLogger(process.env.SSO_TEST_LOG ?? "info", logLinesInto(options.logLines));
  // Composed as main.ts does. Not startBridge: the bridge's URL must exist before the emulator's
  // storefront and the OpenID provider are configured, so the server comes first (deferredServer).
  const composed = await composeBridge(config, { logger, upstream: { apiUrl: emulator.url, storeHash: STORE_HASH, accessToken: "emulator-token" } });
  const bridge = composed.bridge;
  bridgeServer.attach(bridge.app);
  const scim = async (method: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${bridgeUrl}/scim/v2${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`SCIM ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    bridgeUrl,
    storefrontUrl: emulator.url,
    issuer,
    emulator,
    bridge,
    provision: async (user) =>
      String((await scim("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], active: true, ...user })).id),
    deactivate: async (id) => {
      await scim("PATCH", `/Users/${id}`, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "active", value: false }],
      });
    },
    close: async () => {
      bridgeServer.server.closeAllConnections();
      await new Promise<void>((resolve) => bridgeServer.server.close(() => resolve()));
      await composed.close();
      await emulator.close();
      await provider?.close();
    },
  };
}

/** A verified person at the test IdP, `<login>@example.com`, with names (as a JIT create needs them). */
export const person = (login: string) => ({ email: `${login}@example.com`, email_verified: true, given_name: "J", family_name: "T" });

/** The store's customer of `<login>@example.com`, if any. */
export const customerOf = (world: SsoWorld, login: string) =>
  world.emulator
    .store(STORE_HASH)
    .customers.all()
    .find((c) => c.email === `${login}@example.com`);
