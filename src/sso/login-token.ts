import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";

export interface CustomerLoginRequest {
  storeHash: string;
  customerId: number;
  channelId: number;
  redirectTo: string;
  /** The browser's address, when the bridge knows it reliably (TRUST_PROXY); BigCommerce then requires the same one. */
  requestIp?: string;
}

/**
 * The storefront URL that signs a customer in: `{storefront}/login/token/{jwt}`, the JWT exactly
 * as BigCommerce documents it (HS256 with the app's client secret; `iss` client id, `iat`, a
 * unique `jti`, `operation`, `store_hash`, `customer_id`, `channel_id`, `redirect_to`, and `request_ip` when known).
 * BigCommerce accepts it for 30 seconds after `iat` and only once; there is no shorter lifetime
 * to ask for, so it is minted immediately before the redirect and never stored.
 */
export async function customerLoginUrl(
  storefrontUrl: string,
  app: { clientId: string; clientSecret: string },
  login: CustomerLoginRequest,
): Promise<string> {
  const jwt = await new SignJWT({
    operation: "customer_login",
    store_hash: login.storeHash,
    customer_id: login.customerId,
    channel_id: login.channelId,
    redirect_to: login.redirectTo,
    ...(login.requestIp !== undefined ? { request_ip: login.requestIp } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(app.clientId)
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(new TextEncoder().encode(app.clientSecret));
  return `${storefrontUrl}/login/token/${jwt}`;
}
