/**
 * A development OpenID provider (oidc-provider, certified) on a loopback port, for tests and
 * for `SSO_DEV_PROVIDER=1` demos on the embedded emulator. Its login page accepts any login
 * and password: never a production identity provider, and never started by default.
 * oidc-provider is a devDependency, so it is imported only when asked for.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface DevClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/** The claims of the account behind a login typed on the provider's page; undefined = no such account. */
export type DevAccounts = (login: string) => Record<string, unknown> | undefined;

export interface RunningDevProvider {
  issuer: string;
  close(): Promise<void>;
}

/** In demos: a login that looks like an email is that (verified) email. */
export const emailAccounts: DevAccounts = (login) =>
  /^[^@\s]+@[^@\s]+$/.test(login) ? { email: login, email_verified: true } : undefined;

export async function startDevProvider(options: {
  client: DevClient;
  accounts: DevAccounts;
  host?: string;
  port?: number;
}): Promise<RunningDevProvider> {
  let Provider: typeof import("oidc-provider").default;
  try {
    ({ default: Provider } = await import("oidc-provider"));
  } catch {
    throw new Error("the development OpenID provider needs the oidc-provider package (a devDependency): run `npm ci` without --omit=dev");
  }
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handle(req, res));
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.client.clientId,
        client_secret: options.client.clientSecret,
        redirect_uris: [options.client.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      const claims = options.accounts(id);
      if (claims === undefined) return undefined;
      return { accountId: id, claims: async () => ({ ...claims, sub: id }) };
    },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name"],
    },
    pkce: { required: () => true },
    // Seconds; set explicitly so the provider does not warn about its defaults.
    ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: { devInteractions: { enabled: true } },
  });
  handle = provider.callback();
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
