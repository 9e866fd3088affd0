import { hkdfSync, randomBytes } from "node:crypto";
import { EncryptJWT, jwtDecrypt } from "jose";
import { z } from "zod";
import { sameString } from "../constant-time.js";

/** What the callback needs to finish one sign-in. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectTo: string;
}

const pendingSchema = z.object({
  state: z.string().min(1).max(256),
  nonce: z.string().min(1).max(256),
  codeVerifier: z.string().min(1).max(256),
  redirectTo: z.string().min(1).max(2048),
});

/**
 * Sign-ins between /sso/login and /sso/callback, sealed into the browser's HttpOnly cookie
 * (JWE, dir + A256GCM, jose) instead of kept in memory: no replica holds state for a shopper in
 * the middle of a sign-in (no session affinity needed), and nobody can fill the bridge's memory
 * by starting sign-ins. The key is derived from SSO_COOKIE_SECRET, which every replica has and
 * the IdP does not (the OIDC client secret is known to the IdP's admins: it must not seal).
 *
 * The browser cannot read or change what is sealed; the callback's `state` must match the sealed
 * one (compared in constant time) before anything else happens, and the seal expires after
 * `ttlMs`. A seal is good for one callback with its state: opening it spends it, whatever the
 * outcome after that (this process remembers spent seals until they expire, at most `maxSpent`). A replayed callback that reaches another replica still fails
 * at the provider: its authorization code works once.
 */
export class SealedLogins {
  private readonly key: Uint8Array;
  /** Seal id -> expiry (ms), in expiry order. */
  private readonly spent = new Map<string, number>();

  constructor(
    secret: string,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxSpent = 10_000,
  ) {
    this.key = new Uint8Array(hkdfSync("sha256", secret, "scim-bridge sso", "pending sign-in", 32));
  }

  async seal(login: PendingLogin): Promise<string> {
    const now = this.now();
    return new EncryptJWT({ ...login })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .setJti(randomBytes(16).toString("base64url"))
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + this.ttlMs) / 1000))
      .encrypt(this.key);
  }

  /** The sealed sign-in if the seal is ours, unexpired, and `state` matches it. */
  async open(sealed: string | undefined, state: string | undefined): Promise<PendingLogin | undefined> {
    if (sealed === undefined || state === undefined || sealed.length > 4096) return undefined;
    let payload: unknown;
    try {
      ({ payload } = await jwtDecrypt(sealed, this.key, { currentDate: new Date(this.now()), clockTolerance: 0 }));
    } catch {
      return undefined; // not sealed by us, tampered with, or expired: no sign-in to finish
    }
    const parsed = pendingSchema.safeParse(payload);
    const jti = (payload as { jti?: unknown }).jti;
    if (!parsed.success || typeof jti !== "string") return undefined;
    // `state` first: a callback with another state (a forged link sent to the shopper) must not
    // spend the shopper's own sign-in in progress.
    if (!sameString(parsed.data.state, state)) return undefined;
    return this.spend(jti, Number((payload as { exp?: unknown }).exp) * 1000) ? parsed.data : undefined;
  }

  /** Marks a seal spent; false if it was already. */
  private spend(jti: string, expiresAt: number): boolean {
    const now = this.now();
    for (const [id, at] of this.spent) {
      if (at >= now && this.spent.size < this.maxSpent) break;
      this.spent.delete(id);
    }
    if (this.spent.has(jti)) return false;
    this.spent.set(jti, expiresAt);
    return true;
  }
}
