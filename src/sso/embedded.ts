import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { RunningEmulator } from "../emulator/index.js";
import { emailAccounts, startDevProvider } from "./dev-provider.js";

/**
 * Storefront sign-in on the embedded emulator: the emulator's root becomes the storefront, the
 * app credentials are the configured ones (or generated for the run), and with
 * SSO_DEV_PROVIDER=1 a development OpenID provider that signs in any email is started on
 * loopback. Nothing here runs against a real store.
 */
export async function embeddedSso(
  config: Config,
  emulator: RunningEmulator,
  storeHash: string,
  logger: Logger,
): Promise<{ config: Config; close(): Promise<void> }> {
  if (config.sso === null && config.ssoDevProvider === null) return { config, close: async () => undefined };
  const publicBaseUrl = config.publicBaseUrl ?? `http://localhost:${config.port}`;
  let sso = config.sso;
  let close = async (): Promise<void> => undefined;
  if (config.ssoDevProvider !== null) {
    const client = { clientId: "storefront-dev", clientSecret: randomBytes(24).toString("base64url"), redirectUri: `${publicBaseUrl}/sso/callback` };
    const provider = await startDevProvider({ client, accounts: emailAccounts });
    close = provider.close;
    sso = {
      issuer: provider.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      storefrontUrl: null,
      // SSO_CHANNEL_ID, SSO_MATCH, SSO_SUBJECT_CLAIM and SSO_JIT_CREATE hold for the demo too.
      ...config.ssoDevProvider,
      app: null,
      cookieSecret: null,
    };
    logger.warn(
      { issuer: provider.issuer, channelId: sso.channelId, match: sso.match, jitCreate: sso.jitCreate },
      "SSO_DEV_PROVIDER=1: a development OpenID provider that signs in ANY email is running (demo only)",
    );
  }
  if (sso === null) return { config, close };
  const app = sso.app ?? { clientId: "emulated-app", clientSecret: randomBytes(24).toString("base64url") };
  emulator.setOptions({ storefront: { storeHash, ...app, ssoLoginUrl: `${publicBaseUrl}/sso/login?redirect_to=/account.php` } });
  logger.warn({ storefront: `${emulator.url}/login.php` }, "storefront sign-in: the embedded emulator serves the storefront");
  return { config: { ...config, publicBaseUrl, sso: { ...sso, storefrontUrl: sso.storefrontUrl ?? emulator.url, app, cookieSecret: sso.cookieSecret ?? randomBytes(32).toString("base64url") } }, close };
}
