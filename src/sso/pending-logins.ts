import { randomBytes, timingSafeEqual } from "node:crypto";

/** What the callback needs to finish one sign-in, kept on the server (never in the browser). */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectTo: string;
}

interface Entry extends PendingLogin {
  expiresAt: number;
}

/**
 * Sign-ins between /sso/login and /sso/callback, keyed by a random id in an HttpOnly cookie.
 * `take` removes the entry whatever the outcome, so a state is good for one callback only; a
 * replayed or forged callback finds nothing. Bounded: the oldest entries go first.
 */
export class PendingLogins {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(login: PendingLogin): string {
    this.prune();
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const id = randomBytes(24).toString("base64url");
    this.entries.set(id, { ...login, expiresAt: this.now() + this.ttlMs });
    return id;
  }

  /** The pending sign-in behind `id` if `state` matches it; consumed either way. */
  take(id: string | undefined, state: string | undefined): PendingLogin | undefined {
    if (id === undefined) return undefined;
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (entry === undefined || entry.expiresAt < this.now() || state === undefined) return undefined;
    const a = Buffer.from(entry.state);
    const b = Buffer.from(state);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    const { expiresAt: _expiresAt, ...login } = entry;
    return login;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt >= now) break; // insertion order = expiry order
      this.entries.delete(id);
    }
  }
}
