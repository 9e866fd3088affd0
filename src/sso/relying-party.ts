import * as oidc from "openid-client";
import { ConfigError, isLoopbackUrl } from "../config.js";
import { SsoRefusal } from "./refusals.js";

export interface RelyingPartySettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `${PUBLIC_BASE_URL}/sso/callback`, registered at the IdP. */
  redirectUri: string;
  scope: string;
  /** The claims the customer match (and creation) need; when the ID token lacks one, UserInfo is asked. */
  requiredClaims: readonly string[];
}

/** What /sso/login hands to the callback through the sealed pending sign-in (sealed-logins.ts). */
export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * The OpenID Connect relying party (openid-client, certified): authorization code flow with
 * PKCE (S256), `state` and `nonce`; the provider is found by discovery on first use and kept.
 * The config only allows a plain-http issuer on a loopback address (tests, local demos).
 */
export class RelyingParty {
  private configuration: Promise<oidc.Configuration> | null = null;

  constructor(private readonly settings: RelyingPartySettings) {
    if (new URL(settings.issuer).protocol === "http:" && !isLoopbackUrl(settings.issuer)) {
      throw new ConfigError("Invalid configuration:\n  SSO_OIDC_ISSUER: must be https (plain http only on a loopback address)");
    }
  }

  async start(): Promise<{ url: URL; checks: AuthorizationChecks }> {
    const config = await this.discover();
    const checks = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: "S256",
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  }

  /**
   * Validates the callback and the ID token (issuer, audience, expiry, nonce, `azp`, and its
   * signature against the issuer's published keys, `jwks_uri`) and returns its claims.
   */
  async finish(callbackQuery: string, checks: AuthorizationChecks): Promise<Record<string, unknown>> {
    const config = await this.discover();
    const currentUrl = new URL(this.settings.redirectUri);
    currentUrl.search = callbackQuery;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (claims === undefined) throw new SsoRefusal("id_token_invalid", "no ID token");
      // OpenID Connect Core 3.1.3.7: an `azp` must be our client id. openid-client checks it only
      // when `aud` lists several audiences; a token issued to another client is not ours either way.
      if (claims.azp !== undefined && claims.azp !== this.settings.clientId) throw new SsoRefusal("id_token_invalid", "azp is another client");
      if (this.settings.requiredClaims.every((name) => name in claims)) return claims as Record<string, unknown>;
      // Providers that keep the ID token small (when an access token is issued too) answer the
      // email and profile claims at UserInfo, which openid-client binds to the ID token's `sub`.
      const userInfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      return { ...userInfo, ...claims } as Record<string, unknown>;
    } catch (error) {
      throw refusalFor(error);
    }
  }

  private discover(): Promise<oidc.Configuration> {
    if (this.configuration === null) {
      const { issuer, clientId, clientSecret } = this.settings;
      const insecure = new URL(issuer).protocol === "http:";
      this.configuration = oidc
        .discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
          // openid-client trusts an ID token from the token endpoint on the strength of TLS alone;
          // its signature is checked here as well (the issuer's JWKS, asymmetric algorithms only),
          // so a token endpoint answer that did not come from the issuer's keys signs nobody in.
          execute: [oidc.enableNonRepudiationChecks, ...(insecure ? [oidc.allowInsecureRequests] : [])],
          timeout: 10,
        })
        .catch((error: unknown) => {
          this.configuration = null; // try again on the next sign-in
          throw new SsoRefusal("idp_unavailable", describe(error));
        });
    }
    return this.configuration;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}${"code" in error ? ` ${String(error.code)}` : ""}: ${error.message}`;
  return String(error);
}

function refusalFor(error: unknown): SsoRefusal {
  if (error instanceof SsoRefusal) return error;
  if (error instanceof oidc.AuthorizationResponseError) return new SsoRefusal("idp_refused", error.error);
  // fetch() failures and timeouts: the provider did not answer.
  if (error instanceof TypeError || (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))) {
    return new SsoRefusal("idp_unavailable", describe(error));
  }
  // Token endpoint errors (invalid_grant, ...) and every ID token check (iss, aud, exp, nonce, signature).
  return new SsoRefusal("id_token_invalid", describe(error));
}
