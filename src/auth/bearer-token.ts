import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Static bearer tokens, several at once so that an administrator can rotate without downtime.
 * Tokens are compared as SHA-256 digests with timingSafeEqual: equal lengths whatever was sent,
 * and every configured token is compared, so timing tells nothing about which one is close.
 */
export class StaticTokens {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[], digests: readonly Buffer[] = []) {
    this.digests = [...tokens.map((t) => createHash("sha256").update(t, "utf8").digest()), ...digests];
  }

  /** Tokens known only by their SHA-256 digests (a tenants file need not hold a secret). */
  static fromDigests(digests: readonly Buffer[]): StaticTokens {
    return new StaticTokens([], digests);
  }

  /** Index of the matching token (for audit logs: "token #2"), or -1. */
  match(candidate: string): number {
    const digest = createHash("sha256").update(candidate, "utf8").digest();
    let found = -1;
    this.digests.forEach((d, i) => {
      if (timingSafeEqual(d, digest) && found === -1) found = i;
    });
    return found;
  }
}
