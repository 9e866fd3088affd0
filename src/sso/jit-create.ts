import type { Logger } from "pino";
import type { AuditTrail } from "../audit/audit-trail.js";
import type { Customer } from "../bigcommerce/api.js";
import type { UserViewContext } from "../mapping/customer-to-user.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER } from "../mapping/urns.js";
import type { UserReader } from "../scim/users/user-reader.js";
import type { UserWriter } from "../scim/users/user-writer.js";
import type { CustomerMatcher, Identity } from "./customer-match.js";
import { SsoRefusal } from "./refusals.js";

export interface JitSettings {
  /** SSO_MATCH=externalId: the subject becomes the customer's externalId. */
  subjectAsExternalId: boolean;
  /** SCIM_DEFAULT_CHANNEL_IDS: the channels creation gives a customer (null = global access). */
  defaultChannelIds: number[] | null;
}

/**
 * Just-in-time creation at sign-in (SSO_JIT_CREATE): a customer for a verified identity that
 * matches none, through the SCIM create path, so it gets exactly what a provisioned one gets
 * (defaults, externalId index), with one difference: its channels also allow SSO_CHANNEL_ID.
 *
 * A sign-in that creates a customer and then refuses it leaves the store as it was:
 * - what can be decided is decided before the create (the channels, from one read of the
 *   channel's setting; a channel that does not exist creates nothing), and that read is carried
 *   into the admission of the customer created, which reads nothing of the channel again;
 * - the create itself is all or nothing (UserWriter.create takes back a customer whose later
 *   writes failed);
 * - the customer created is then held to the rule of a customer found, on the store's answer
 *   (a fresh read): if that answer refuses it (e.g. the store puts new customers in the parking
 *   group), or cannot be had, the customer is deleted again, as a SCIM DELETE deletes (index
 *   entry included). A deletion that fails is logged at warn and audited; the shopper gets the
 *   refusal either way;
 * - only a customer the create's own POST made is deleted: one it met in the store (the POST's
 *   answer lost, the re-read finding one under the email) may be the IdP's and is kept (keep);
 *   it is signed in only if the identity names it as it names a customer found (its externalId,
 *   with SSO_MATCH=externalId).
 */
export class JitCreation {
  constructor(
    private readonly matcher: CustomerMatcher,
    private readonly writer: UserWriter,
    private readonly reader: UserReader,
    private readonly view: UserViewContext,
    private readonly settings: JitSettings,
    private readonly logger: Logger,
    private readonly audit: AuditTrail,
  ) {}

  /** The customer created and admitted, or the refusal (SsoRefusal or the upstream error), with nothing left behind. */
  async create(identity: Identity & { email: string }, requestId: string): Promise<Customer> {
    const plan = await this.matcher.planNew(this.settings.defaultChannelIds);
    const externalId = this.settings.subjectAsExternalId ? (identity.subject ?? undefined) : undefined;
    const { user, metInStore } = await this.writer.createTelling(
      {
        schemas: [CORE_USER, BIGCOMMERCE_CUSTOMER],
        userName: identity.email,
        ...(externalId !== undefined ? { externalId } : {}),
        name: { ...(identity.givenName ? { givenName: identity.givenName } : {}), ...(identity.familyName ? { familyName: identity.familyName } : {}) },
        active: true,
        [BIGCOMMERCE_CUSTOMER]: { channelIds: plan.channelIds },
      },
      this.view,
    );
    this.audit.record({ kind: "sign-in", operation: "customer_created", resourceType: "User", resourceId: user.id, requestId, outcome: "success" });
    try {
      const customer = await this.reader.getCustomer(user.id);
      // One met in the store is signed in only if find() would have named it (an IdP's customer
      // with another externalId is not the shopper's, whatever its email).
      if (metInStore && !this.matcher.names(customer, identity)) throw new SsoRefusal("unknown_user", `customer ${customer.id} met in the store is not the identity's`);
      await this.matcher.admit(customer, plan);
      return customer;
    } catch (error) {
      if (metInStore) this.keep(user.id);
      else await this.takeBack(user.id, externalId, requestId);
      throw error;
    }
  }

  /**
   * A customer the create met in the store instead of making (its POST's answer was lost, and the
   * store showed one under the email with the names sent) may be another writer's: the IdP's own
   * create of this person, e.g. one remembered as unsettled, or made on another replica. Deleting
   * it could delete what the IdP provisioned, so it is kept and told (warn, with the id only).
   */
  private keep(userId: string): void {
    this.logger.warn(
      { component: "sso", customerId: Number(userId) },
      "sso: the customer a sign-in's create met in the store was refused and is kept (it may be the IdP's); delete it in the store if the IdP does not know it",
    );
  }

  /** Deletes the customer this sign-in created; a failure is told (warn, audit), never thrown over the refusal. */
  private async takeBack(userId: string, externalId: string | undefined, requestId: string): Promise<void> {
    const event = { kind: "sign-in", operation: "customer_removed", resourceType: "User", resourceId: userId, requestId } as const;
    try {
      await this.writer.removeCreated(userId, externalId, this.view);
      this.audit.record({ ...event, outcome: "success" });
    } catch (err) {
      this.logger.warn(
        { component: "sso", customerId: Number(userId), err: { name: (err as Error).name, code: (err as { code?: string }).code, status: (err as { status?: number }).status } },
        "sso: a customer created at sign-in and then refused could not be deleted; delete it in the store",
      );
      this.audit.record({ ...event, outcome: "failure" });
    }
  }
}
