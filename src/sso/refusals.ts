/**
 * Every way storefront sign-in can end without a login token, in one catalogue: the HTTP status,
 * the sentence the shopper reads, and the stable reason the audit line carries.
 */
export const REFUSALS = {
  not_configured: { status: 404, message: "Storefront sign-in is not configured on this server." },
  redirect_not_allowed: { status: 400, message: "The page to return to is not a page of this store." },
  state_invalid: { status: 400, message: "This sign-in link has expired or was already used. Start again from the store." },
  idp_refused: { status: 403, message: "Your identity provider did not sign you in." },
  id_token_invalid: { status: 401, message: "Your identity provider's answer could not be verified. Start again from the store." },
  email_unverified: { status: 403, message: "Your identity provider has not verified your email address." },
  claim_missing: { status: 403, message: "Your identity provider did not say who you are (no email or subject)." },
  unknown_user: { status: 403, message: "There is no customer account for you in this store." },
  ambiguous_user: { status: 403, message: "More than one customer account in this store has your email address. Contact the store." },
  deactivated: { status: 403, message: "Your customer account is deactivated." },
  channel_not_allowed: { status: 403, message: "Your customer account cannot sign in to this storefront." },
  idp_unavailable: { status: 502, message: "Your identity provider could not be reached. Try again in a moment." },
  store_unavailable: { status: 503, message: "The store could not be reached. Try again in a moment." },
} as const satisfies Record<string, { status: number; message: string }>;

export type RefusalReason = keyof typeof REFUSALS;

export class SsoRefusal extends Error {
  override name = "SsoRefusal";
  readonly status: number;

  constructor(
    readonly reason: RefusalReason,
    /** Kept for the debug log only (may name the IdP's error code); never shown or logged at info. */
    readonly detail?: string,
  ) {
    super(REFUSALS[reason].message);
    this.status = REFUSALS[reason].status;
  }
}
