import type { BigCommerceClient, Customer } from "../bigcommerce/api.js";
import { NotFoundError } from "../bigcommerce/index.js";
import { type AttributeCatalog, readBridgeAttributes } from "../mapping/bridge-attributes.js";
import { isActiveCustomer } from "../mapping/customer-to-user.js";
import type { ExternalIdIndex } from "../scim/users/external-id-index.js";
import { SsoRefusal } from "./refusals.js";
import { foldEmail } from "../email-fold.js";

export interface MatchSettings {
  match: "email" | "externalId";
  subjectClaim: string;
  /** SSO_CHANNEL_ID: the customer must be allowed to sign in to it. */
  channelId: number;
  /** SCIM_LOCKOUT_CHANNEL_ID and SCIM_DEACTIVATED_GROUP_ID: where a deactivation puts a customer. */
  lockoutChannelId: number | null;
  deactivatedGroupId: number | null;
}

/** A customer to create at sign-in: its channels, and what deciding them read of SSO_CHANNEL_ID. */
export interface NewCustomerPlan {
  channelIds: number[] | null;
  /** The channel's allow_global_logins as read for this plan; absent when the list names the channel already (nothing was read). */
  globalLogins?: boolean;
}

/** Who the ID token is about, as far as the store is concerned. */
export interface Identity {
  /** The verified email, when the provider vouches for one. */
  email: string | null;
  /** The configured subject claim (default `sub`). */
  subject: string | null;
  givenName: string | null;
  familyName: string | null;
}

/** The bridge's one email folding rule (A-Z only, src/email-fold.ts), as every SCIM lookup uses. */
const asciiLower = foldEmail;

const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);

export function identityOf(claims: Record<string, unknown>, subjectClaim: string): Identity & { emailClaimed: boolean } {
  const email = text(claims.email);
  const verified = claims.email_verified === true || claims.email_verified === "true";
  return {
    email: email !== null && verified ? email : null,
    emailClaimed: email !== null,
    subject: text(claims[subjectClaim]),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
  };
}

/**
 * Finds the active customer an ID token names, allowed on the sign-in channel: by verified email (case-insensitive, one
 * `email:in` call) or by the subject claim against the stored externalId (the SCIM externalId
 * index). `undefined` means no customer has it; a failed call throws, it never means "absent".
 */
export class CustomerMatcher {
  constructor(
    private readonly client: BigCommerceClient,
    private readonly index: ExternalIdIndex,
    private readonly catalog: AttributeCatalog,
    private readonly settings: MatchSettings,
  ) {}

  async find(identity: Identity & { emailClaimed: boolean }): Promise<Customer | undefined> {
    const customer = this.settings.match === "email" ? await this.byEmail(identity) : await this.bySubject(identity);
    if (customer === undefined) return undefined;
    await this.admit(customer);
    return customer;
  }

  /**
   * Refuses a customer that may not be signed in: a trace of a deactivation, or not allowed on
   * SSO_CHANNEL_ID. The one rule for a customer found and one just created at sign-in. `known`
   * carries what this sign-in has already read of the channel (the plan of a customer it created),
   * so the channel's setting is read at most once per sign-in.
   */
  async admit(customer: Customer, known: Pick<NewCustomerPlan, "globalLogins"> = {}): Promise<void> {
    const lock = this.signOfLock(customer);
    if (lock !== null) throw new SsoRefusal("deactivated", `customer ${customer.id}: ${lock}`);
    if (!(await this.mayUseChannel(customer, known.globalLogins))) throw new SsoRefusal("channel_not_allowed", `customer ${customer.id}, channel ${this.settings.channelId}`);
  }

  /**
   * Whether the identity names this customer by the rule find() uses: its email (a customer met
   * under the email the sign-in created with has it), or, with SSO_MATCH=externalId, its stored
   * externalId. For a customer the sign-in's create met in the store instead of making.
   */
  names(customer: Customer, identity: Identity): boolean {
    if (this.settings.match === "email") return identity.email !== null && asciiLower(customer.email) === asciiLower(identity.email);
    return identity.subject !== null && readBridgeAttributes(customer, this.catalog).values.externalId === identity.subject;
  }

  /**
   * What a customer created at sign-in is given so as to be allowed on SSO_CHANNEL_ID, decided
   * before anything is created, from the channels creation gives it (SCIM_DEFAULT_CHANNEL_IDS): a
   * list naming the channel as it is; a list without it, with it added; global access (`null`) as
   * it is where the channel allows global logins, else the channel alone (only a list can allow
   * it). The channel's setting is read unless the defaults name the channel already, also when
   * the list only gets it added: a channel that does not exist is refused, as it is for a customer
   * found, before anything is created. What was read is kept in the plan, for the admission of
   * the customer created (admit), which then reads nothing of the channel again.
   */
  async planNew(defaults: readonly number[] | null): Promise<NewCustomerPlan> {
    const channelId = this.settings.channelId;
    if (defaults !== null && defaults.includes(channelId)) return { channelIds: [...defaults] };
    const globalLogins = await this.allowsGlobalLogins();
    if (defaults === null) return { channelIds: globalLogins ? null : [channelId], globalLogins };
    return { channelIds: [...defaults, channelId], globalLogins };
  }

  /**
   * Any trace of a deactivation, not only the recorded flag: a deactivation writes the lock
   * (password, parking group, lockout channel) before it records `scim_active` (user-writer.ts),
   * so one that stopped half-way shows the lock without the flag. A reactivation clears all of
   * them, the password lock's `force_password_reset` included.
   */
  private signOfLock(customer: Customer): string | null {
    if (!isActiveCustomer(customer, this.catalog)) return "scim_active false";
    const { lockoutChannelId, deactivatedGroupId } = this.settings;
    if (lockoutChannelId !== null && (customer.channel_ids ?? []).includes(lockoutChannelId)) return "on the lockout channel";
    if (deactivatedGroupId !== null && customer.customer_group_id === deactivatedGroupId) return "in the deactivated group";
    if (customer.authentication?.force_password_reset === true) return "password locked (force_password_reset)";
    return null;
  }

  /**
   * Whether BigCommerce lets this customer sign in to SSO_CHANNEL_ID: a listed channel, or
   * global access (`channel_ids: null`) on a channel that allows global logins (`known`: as this
   * sign-in read it already). A channel that inherits the setting (`null`) allows them only as the
   * default storefront (1) does.
   */
  private async mayUseChannel(customer: Customer, known: boolean | undefined): Promise<boolean> {
    const channelId = this.settings.channelId;
    if (customer.channel_ids !== null && customer.channel_ids !== undefined) return customer.channel_ids.includes(channelId);
    return known ?? this.allowsGlobalLogins();
  }

  /**
   * Whether SSO_CHANNEL_ID allows global logins. BigCommerce answering that the channel does not
   * exist is an answer, not a failure: such a channel lets nobody in, so the shopper is refused
   * as one not allowed on it (any other failure still throws).
   */
  private async allowsGlobalLogins(): Promise<boolean> {
    const channelId = this.settings.channelId;
    try {
      const settings = await this.client.channels.loginSettings(channelId);
      return settings.allow_global_logins ?? channelId === 1;
    } catch (error) {
      if (error instanceof NotFoundError) throw new SsoRefusal("channel_not_allowed", `channel ${channelId} does not exist`);
      throw error;
    }
  }

  private async byEmail(identity: Identity & { emailClaimed: boolean }): Promise<Customer | undefined> {
    if (identity.email === null) throw new SsoRefusal(identity.emailClaimed ? "email_unverified" : "claim_missing", "email");
    // A comma would split one value into two in `email:in`; no store email contains one.
    if (identity.email.includes(",")) return undefined;
    const wanted = asciiLower(identity.email);
    // As given and lower-cased: BigCommerce does not document whether `email:in` ignores case.
    const emails = [...new Set([identity.email, wanted])];
    const page = await this.client.customers.list({ "email:in": emails, include: ["attributes"], limit: 10 });
    const matches = page.data.filter((c) => asciiLower(c.email) === wanted);
    // Two customers for one address (created outside the bridge, or differing only in case):
    // which one the shopper is cannot be known, so neither is signed in.
    if (matches.length > 1) throw new SsoRefusal("ambiguous_user", `email matches ${matches.length} customers`);
    return matches[0];
  }

  private async bySubject(identity: Identity): Promise<Customer | undefined> {
    if (identity.subject === null) throw new SsoRefusal("claim_missing", this.settings.subjectClaim);
    const subject = identity.subject;
    const ids = await this.index.lookup(subject);
    if (ids.length === 0) return undefined;
    const page = await this.client.customers.list({ "id:in": ids, include: ["attributes"], limit: 250 });
    // The index may outlive an externalId (removing an old entry is best effort): the stored
    // externalId is the fact, so the next holder of a reused identifier is not the old customer.
    const holders = page.data.filter((c) => readBridgeAttributes(c, this.catalog).values.externalId === subject);
    if (holders.length > 1) throw new SsoRefusal("unknown_user", `externalId held by ${holders.length} customers`);
    return holders[0];
  }
}
