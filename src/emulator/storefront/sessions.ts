import { randomBytes } from "node:crypto";

/** One signed-in shopper on the emulated storefront. */
export interface StorefrontSession {
  storeHash: string;
  customerId: number;
}

/**
 * Storefront sessions and the Customer Login JWT ids already spent. BigCommerce invalidates a
 * login token on its first visit; a `jti` is remembered for twice the accepted age window,
 * after which its token is refused for its age anyway.
 */
export class StorefrontState {
  private readonly sessions = new Map<string, StorefrontSession>();
  private readonly spent = new Map<string, number>();

  constructor(private readonly jtiMemoryMs: number) {}

  /** True the first time a `jti` is seen; false on every replay. */
  spendJti(jti: string, nowMs: number): boolean {
    for (const [id, at] of this.spent) {
      if (nowMs - at <= this.jtiMemoryMs) break; // insertion order: the rest are newer
      this.spent.delete(id);
    }
    if (this.spent.has(jti)) return false;
    this.spent.set(jti, nowMs);
    return true;
  }

  open(session: StorefrontSession): string {
    const token = randomBytes(24).toString("base64url");
    this.sessions.set(token, session);
    return token;
  }

  find(token: string | undefined): StorefrontSession | undefined {
    return token === undefined ? undefined : this.sessions.get(token);
  }

  close(token: string | undefined): void {
    if (token !== undefined) this.sessions.delete(token);
  }
}
