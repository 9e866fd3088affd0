import { isPlainObject } from "../json.js";
import type {
  AttributeValueUpsert,
  BigCommerceClient,
  Customer,
  CustomerId,
  CustomerAttributeValue,
  CustomerCreate,
  CustomerFormField,
  CustomerUpdate,
} from "../../bigcommerce/index.js";
import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  ValidationFailedError,
  currentWriteGuard,
  metInStore,
  nonEmpty,
  runWithoutDeadline,
  toCustomerGroupId,
  toCustomerId,
} from "../../bigcommerce/index.js";
import type { Logger } from "pino";
import type { StorableAttribute } from "../../config.js";
import { USER_BOOLEANS, USER_MULTI_VALUED, USER_READ_ONLY } from "../../mapping/attribute-table.js";
import { readBridgeAttributes, type AttributeCatalog, type BridgeAttributeValues, type CatalogKey } from "../../mapping/bridge-attributes.js";
import { parseMemberships, standingOf } from "../../mapping/group-memberships.js";
import { withCustomCleared, type CustomMapping } from "../../mapping/custom-mapping.js";
import { unmappedAttributes } from "../../mapping/unmapped.js";
import { userShapeWith, type Shape } from "../normalise/canonical-keys.js";
import { copiedCreateFields } from "../../mapping/copied-fields.js";
import { userFromCustomer, type ScimUser, type UserViewContext } from "../../mapping/customer-to-user.js";
import { parseUserDocument } from "../../mapping/user-document.js";
import { userChangeFromDocument, withPutDefaults, type UserChange } from "../../mapping/user-to-customer.js";
import { rememberChannels } from "../../mapping/remembered-channels.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "../../mapping/urns.js";
import type { WriteLock } from "../keyed-lock.js";
import { invalidSyntax, invalidValue, mutability, notFound, uniqueness } from "../errors.js";
import { hasExpectedVersion, requireCurrentVersion } from "../version-precondition.js";
import { normaliseUserBody } from "../normalise/user-body.js";
import { applyPatch, type PatchTarget } from "../patch/apply-patch.js";
import { isLockedOut, planChannelLockout } from "./channel-lockout.js";
import type { ExternalIdIndex } from "./external-id-index.js";
import { unguessablePassword } from "./random-password.js";
import { UndoLog } from "../undo-log.js";
import type { UserReader } from "./user-reader.js";
import type { AddressRequest } from "../../mapping/customer-addresses.js";
import { AddressWriter, planHasWork } from "./address-writer.js";
import { foldEmail, sameEmail } from "../../email-fold.js";

export interface UserWriterSettings {
  storedAttributes: readonly StorableAttribute[];
  defaultChannelIds: number[] | null;
  deactivatedGroupId: number | null;
  deleteMode: "delete" | "deactivate";
  /** SCIM_LOCKOUT_CHANNEL_ID: deactivated customers are restricted to it (channel-lockout.ts). */
  lockoutChannelId: number | null;
  /** The mapping file's entries (custom-mapping.ts). */
  mapping?: CustomMapping;
  /** Told the attributes a request sent that nothing maps (they are not stored). */
  onUnmapped?: (names: readonly string[]) => void;
  /**
   * After a write whose lock lease was lost, how long to wait for a write of it that may still
   * land before re-checking the user (the client's late-write grace); absent: right away.
   */
  recheckAfterLostLeaseMs?: number;
}

export interface AuditEvent {
  operation: "create" | "replace" | "patch" | "deactivate" | "reactivate" | "delete";
  customerId: number;
  changed: string[];
}

/** What PATCH needs to know of the User: the built-in schemas plus the mapping file's extensions. */
const userPatchTarget = (extensionUrns: readonly string[]): PatchTarget => ({
  urns: [ENTERPRISE_USER, BIGCOMMERCE_CUSTOMER, ...extensionUrns],
  multiValued: new Set(USER_MULTI_VALUED),
  readOnly: new Set(USER_READ_ONLY),
  booleans: new Set(USER_BOOLEANS),
  aliases: { manager: ENTERPRISE_USER },
});


function requireBody(body: unknown, verb: string): Record<string, unknown> {
  if (body === undefined || body === null) throw invalidSyntax(`Missing request body for ${verb}`);
  if (!isPlainObject(body)) throw invalidSyntax(`${verb} expects a single JSON object`);
  return body;
}

/**
 * A created resource says what it is (RFC 7643 §3): a body without `schemas`, or one that names
 * only another resource's schema (a Group sent to /Users), is not a User to create.
 */
function requireUserSchema(body: Record<string, unknown>): Record<string, unknown> {
  const schemas = Object.entries(body).find(([k]) => k.toLowerCase() === "schemas")?.[1];
  if (schemas === undefined || schemas === null) throw invalidSyntax(`Attribute 'schemas' is required and must include '${CORE_USER}'`);
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === CORE_USER.toLowerCase())) {
    throw invalidValue(`Attribute 'schemas' must include '${CORE_USER}' to create a User`);
  }
  return body;
}

/** BigCommerce refused the data: nothing was written. */
function isRefusal(err: unknown): boolean {
  return err instanceof ValidationFailedError || err instanceof ConflictError || err instanceof NotFoundError;
}

/** The customer's values of the fields a PUT changes (the password cannot be given back). */
function previousFields(current: Customer, diff: Omit<CustomerUpdate, "id">): Omit<CustomerUpdate, "id"> {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(diff)) {
    if (field === "authentication") {
      // A lifted forced reset (reactivation without a password) is a flag, and goes back: the
      // password lock of a user still shown inactive stays whole. A new password cannot.
      if (diff.authentication?.new_password === undefined && current.authentication?.force_password_reset !== undefined) {
        out.authentication = { force_password_reset: current.authentication.force_password_reset };
      }
      continue;
    }
    if (field === "form_fields") {
      // Form fields upsert by name: each written one goes back to its value, or to none ("").
      out.form_fields = (diff.form_fields ?? []).map((w) => current.form_fields?.find((f) => f.name === w.name) ?? { name: w.name, value: "" });
      continue;
    }
    out[field] = (current as unknown as Record<string, unknown>)[field];
  }
  return out as Omit<CustomerUpdate, "id">;
}

/** Whether a PatchOp names `userName` (by path, or as a key of a path-less value). */
function namesUserName(operations: unknown): boolean {
  if (!Array.isArray(operations)) return false;
  return operations.some((op) => {
    if (!isPlainObject(op)) return false;
    const path = Object.entries(op).find(([k]) => k.toLowerCase() === "path")?.[1];
    const value = Object.entries(op).find(([k]) => k.toLowerCase() === "value")?.[1];
    if (typeof path === "string" && path.trim() !== "") return /^(urn:ietf:params:scim:schemas:core:2\.0:User:)?username$/i.test(path.trim());
    return isPlainObject(value) && Object.keys(value).some((k) => /^(urn:ietf:params:scim:schemas:core:2\.0:User:)?username$/i.test(k));
  });
}

/**
 * A PATCH that removes what BigCommerce cannot be without (the customer's one email, its names)
 * is refused rather than answered 200 with nothing changed; `name.formatted` and the other
 * derived sub-attributes are not values of their own.
 */
function refuseUnsettableRemovals(before: Record<string, unknown>, after: Record<string, unknown>): void {
  // Every customer is active or not: "unassigned" cannot be stored, and answering 200 while
  // keeping the old value would be a silent wrong write.
  if (after.active === null) throw mutability("'active' cannot be removed; replace it with false to deactivate the user");
  const emailsLeft = Array.isArray(after.emails) ? after.emails.filter((e) => isPlainObject(e) && typeof e.value === "string" && e.value.trim() !== "") : [];
  if (Array.isArray(before.emails) && before.emails.length > 0 && emailsLeft.length === 0) {
    throw mutability("'emails' cannot be removed: the customer's email is its userName; replace it instead");
  }
  const name = after.name;
  const removed = name === null ? ["name"] : isPlainObject(name) ? ["givenName", "familyName"].filter((k) => name[k] === null || name[k] === "").map((k) => `name.${k}`) : [];
  if (removed.length > 0) {
    throw mutability(`'${removed[0]}' cannot be removed: BigCommerce requires a customer's first and last name; replace it instead`);
  }
}

/** The mapped form fields a change asks for that differ from the customer's (an absent one needs no removal). */
function formFieldDiff(current: Customer, change: UserChange): CustomerFormField[] {
  const have = current.form_fields ?? [];
  return (change.formFields ?? []).filter((wanted) => {
    const field = have.find((f) => f.name === wanted.name);
    const value = field?.value ?? "";
    return JSON.stringify(value) !== JSON.stringify(wanted.value);
  });
}

/** Form field values after an upsert by name ("" removes one), as BigCommerce keeps them. */
function withFormFields(have: readonly CustomerFormField[], written: readonly CustomerFormField[]): CustomerFormField[] {
  const kept = have.filter((f) => !written.some((w) => w.name === f.name));
  return [...kept, ...written.filter((w) => w.value !== "")];
}

/** The customer fields a change asks for that differ from the customer as it is. */
function fieldDiff(current: Customer, change: UserChange): Omit<CustomerUpdate, "id"> {
  const diff: Record<string, unknown> = {};
  for (const [field, wanted] of Object.entries(change.fields)) {
    const have = (current as unknown as Record<string, unknown>)[field];
    const same =
      field === "email"
        ? String(have) === String(wanted)
        : field === "channel_ids"
          ? JSON.stringify(have ?? null) === JSON.stringify(wanted ?? null)
          : have === wanted;
    if (!same) diff[field] = wanted;
  }
  return diff as Omit<CustomerUpdate, "id">;
}

const notFoundUser = (id: number) => notFound(`User ${id}`);

export class UserWriter {
  private readonly shape: Shape;
  private readonly patchTarget: PatchTarget;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly reader: UserReader,
    private readonly catalog: AttributeCatalog,
    private readonly index: ExternalIdIndex,
    private readonly settings: UserWriterSettings,
    private readonly audit: (event: AuditEvent) => void,
    private readonly logger: Logger,
    /** The store's default customer group (new customers join it), 0 when none. */
    private readonly defaultGroupId: () => number,
    /** Shared with group membership writes: one writer per customer at a time. */
    private readonly perUser: WriteLock,
    /** SCIM addresses, when the mapping file maps them. */
    private readonly addresses?: AddressWriter,
  ) {
    const entries = settings.mapping?.entries ?? [];
    this.shape = userShapeWith(entries);
    this.patchTarget = userPatchTarget(settings.mapping?.extensionUrns ?? []);
  }

  /** The canonical User document of a body (the app's own attributes included), unmapped ones reported. */
  private documentOf(body: Record<string, unknown>) {
    const normalised = normaliseUserBody(body, this.shape);
    const unmapped = unmappedAttributes(normalised, this.settings.storedAttributes, this.settings.mapping);
    if (unmapped.length > 0) this.settings.onUnmapped?.(unmapped);
    return parseUserDocument(normalised);
  }

  private changeOptions() {
    return { storedAttributes: this.settings.storedAttributes, ...(this.settings.mapping ? { mapping: this.settings.mapping } : {}) };
  }

  /**
   * What the request says about addresses. Elements of types the mapping does not list (or all
   * addresses, when none are mapped) go to the unmapped-attribute report (one warning per name, and
   * the /metrics counter), like any other attribute nothing maps.
   */
  private addressRequest(doc: Record<string, unknown>, mode: "create" | "replace"): AddressRequest | undefined {
    const request = this.addresses?.mapping.requested(doc.addresses, mode);
    const sent = Array.isArray(doc.addresses) && doc.addresses.length > 0;
    const unmapped = request ? request.unmapped : sent ? ["addresses"] : [];
    if (unmapped.length > 0) this.settings.onUnmapped?.(unmapped);
    return request;
  }

  async create(body: unknown, view: UserViewContext): Promise<ScimUser> {
    return (await this.createTelling(body, view)).user;
  }

  /**
   * A create that also tells whether its customer was made by this create's own POST, or met in
   * the store under the email when that POST's answer was lost (`metInStore`: most likely this
   * create's write, but possibly another writer's, such as the IdP's create on another replica or
   * one remembered as unsettled). Whoever would take the customer back must not take a met one.
   */
  async createTelling(body: unknown, view: UserViewContext): Promise<{ user: ScimUser; metInStore: boolean }> {
    const doc = this.documentOf(requireUserSchema(requireBody(body, "POST")));
    const change = userChangeFromDocument(doc, { mode: "create", ...this.changeOptions() });
    this.refuseLockoutChannel(change, undefined);
    this.refuseParkingGroupOnCreate(change);
    const addressRequest = this.addressRequest(doc, "create");
    const active = change.active ?? true;
    const f = change.fields;
    const item: CustomerCreate = {
      email: f.email!,
      first_name: f.first_name!,
      last_name: f.last_name!,
      ...(f.phone ? { phone: f.phone } : {}),
      ...copiedCreateFields(f),
      ...(f.accepts_product_review_abandoned_cart_emails !== undefined
        ? { accepts_product_review_abandoned_cart_emails: f.accepts_product_review_abandoned_cart_emails }
        : {}),
      channel_ids: f.channel_ids !== undefined ? f.channel_ids : this.settings.defaultChannelIds,
    };
    // Mapped form fields ride in the create itself; a new customer has none to remove.
    const formFields = (change.formFields ?? []).filter((ff) => ff.value !== "");
    if (formFields.length > 0) item.form_fields = formFields;
    let groupId = f.customer_group_id;
    const attributes: Partial<Record<CatalogKey, string | null>> = { ...change.attributes };
    if (active) {
      if (change.password) item.authentication = { new_password: change.password, force_password_reset: false };
    } else {
      // Created deactivated: nobody can sign in until an IdP reactivates the user.
      item.authentication = { new_password: unguessablePassword(), force_password_reset: true };
      attributes.active = "false";
      if (this.settings.deactivatedGroupId) {
        attributes.groupBeforeDeactivation = String(groupId || this.defaultGroupId());
        groupId = this.settings.deactivatedGroupId;
      }
      if (this.settings.lockoutChannelId !== null) {
        attributes.channelsBeforeDeactivation = rememberChannels(item.channel_ids ?? null);
        item.channel_ids = [this.settings.lockoutChannelId];
      }
    }
    if (groupId !== undefined && groupId !== 0) item.customer_group_id = groupId;

    const inline: { attribute_id: number; attribute_value: string }[] = [];
    for (const [key, value] of Object.entries(attributes)) {
      const attributeId = this.catalog.idOf(key as CatalogKey);
      if (value && attributeId !== undefined) inline.push({ attribute_id: attributeId, attribute_value: value });
    }
    // BigCommerce takes at most 10 inline attribute values; the rest follow in one upsert.
    if (inline.length > 0) item.attributes = inline.slice(0, 10);
    let customer = await this.client.customers.create(item);
    const met = metInStore(customer);
    const id = toCustomerId(customer.id)!;
    // Nor form field values (include=formfields is for reads): show the ones just written.
    if (customer.form_fields === undefined) customer = { ...customer, form_fields: item.form_fields ?? [] };
    if (customer.attributes === undefined) {
      // The create response may not echo attribute values; show the ones just written.
      customer = {
        ...customer,
        attributes: (item.attributes ?? []).map((a) => ({ id: 0, customer_id: customer.id, ...a, date_modified: customer.date_modified })),
      };
    }
    try {
      if (inline.length > 10) {
        const extra = await Promise.all(
          inline.slice(10).map((a) => this.client.attributeValues.upsertOne({ attribute_id: a.attribute_id, customer_id: id, value: a.attribute_value })),
        );
        customer = { ...customer, attributes: [...(customer.attributes ?? []), ...extra] };
      }
      if (addressRequest && addressRequest.wanted.size > 0) customer = await this.createAddresses(id, customer, addressRequest);
      // Written behind (external-id-index.ts: noted as pending first, so any replica finds it at
      // once; restored from the attribute value at start-up if lost with the process).
      if (change.attributes.externalId) await this.index.add(id, change.attributes.externalId);
    } catch (err) {
      // All or nothing: a customer whose attribute values or addresses are missing is taken back
      // (its addresses go with it), so that the IdP's retry creates it whole instead of meeting a 409.
      const undo = new UndoLog(this.logger, { customerId: id });
      undo.push("created customer", () => this.client.customers.delete([id]));
      await undo.rollBack();
      throw err;
    }
    const wroteAddresses = addressRequest !== undefined && addressRequest.wanted.size > 0;
    this.audit({ operation: "create", customerId: customer.id, changed: [...Object.keys(item), ...(wroteAddresses ? ["addresses"] : [])] });
    return { user: userFromCustomer(customer, view), metInStore: met };
  }

  async replace(id: string, body: unknown, view: UserViewContext): Promise<ScimUser> {
    const raw = requireBody(body, "PUT");
    return this.locked(id, view, () => this.replaceNow(id, raw, view));
  }

  private async replaceNow(id: string, raw: Record<string, unknown>, view: UserViewContext): Promise<ScimUser> {
    // A recent read may serve as the base, except when If-Match must be checked against now.
    const current = await this.reader.getCustomer(id, { recent: !hasExpectedVersion() });
    requireCurrentVersion(userFromCustomer(current, view));
    let doc = withPutDefaults(this.documentOf(raw), this.settings.storedAttributes);
    if (this.settings.mapping) doc = withCustomCleared(doc, this.settings.mapping) as typeof doc;
    const change = userChangeFromDocument(doc, {
      mode: "replace",
      currentEmail: current.email,
      userNameSent: true,
      ...this.changeOptions(),
    });
    this.refuseLockoutChannel(change, userFromCustomer(current, view));
    return this.apply(current, change, view, "replace", this.addressRequest(doc, "replace"));
  }

  async patch(id: string, body: unknown, view: UserViewContext): Promise<ScimUser> {
    const message = requireBody(body, "PATCH");
    return this.locked(id, view, () => this.patchNow(id, message, view));
  }

  private async patchNow(id: string, message: Record<string, unknown>, view: UserViewContext): Promise<ScimUser> {
    const operations = Object.entries(message).find(([k]) => k.toLowerCase() === "operations")?.[1];
    const current = await this.reader.getCustomer(id, { recent: !hasExpectedVersion() });
    const before = userFromCustomer(current, view);
    requireCurrentVersion(before);
    const after = applyPatch(before, operations, this.patchTarget);
    refuseUnsettableRemovals(before, after);
    const doc = this.documentOf(after);
    const change = userChangeFromDocument(doc, {
      mode: "replace",
      currentEmail: current.email,
      userNameSent: namesUserName(operations),
      ...this.changeOptions(),
    });
    this.refuseLockoutChannel(change, before);
    return this.apply(current, change, view, "patch", this.addressRequest(doc, "replace"));
  }

  async remove(id: string, view: UserViewContext): Promise<void> {
    return this.locked(id, view, () => this.removeNow(id, view));
  }

  private async removeNow(id: string, view: UserViewContext): Promise<void> {
    const current = await this.reader.getCustomer(id);
    requireCurrentVersion(userFromCustomer(current, view));
    if (this.settings.deleteMode === "deactivate") {
      await this.apply(current, { fields: {}, attributes: {}, active: false }, view, "delete");
      return;
    }
    await this.deleteNow(toCustomerId(current.id)!, readBridgeAttributes(current, this.catalog).values.externalId);
  }

  /**
   * Takes back a user its creator could not keep: storefront sign-in's just-in-time customer that
   * the store's answer refuses. Deleted whatever SCIM_DELETE_MODE says (a customer that should
   * never have been is not kept deactivated), through the deletion of a SCIM DELETE.
   */
  async removeCreated(userId: string, externalId: string | undefined, view: UserViewContext): Promise<void> {
    const id = toCustomerId(userId);
    if (!id) throw notFound(`User ${userId}`);
    await this.locked(userId, view, () => this.deleteNow(id, externalId));
  }

  /**
   * Deletes a customer. Its externalId index entry goes with it: BigCommerce deletes a customer's
   * metafields with the customer, and an entry still pending is forgotten, so that lookups stop
   * naming the customer and a write-behind still trying gives up.
   */
  private async deleteNow(id: CustomerId, externalId: string | undefined): Promise<void> {
    await this.client.customers.delete([id]);
    this.audit({ operation: "delete", customerId: id, changed: [] });
    if (externalId) await this.index.forget(id, externalId).catch((err: unknown) => this.warnIndex(err, id));
  }

  /**
   * Runs a write to one user under its lock. With replicas the lock is a lease, not a fence
   * (shared-state/redis-lock.ts): when the lease was lost while the work ran, a write of it may
   * land after another replica's (a deactivation), and undo could not run (its writes are
   * refused too). So once such a write can no longer land, the user is read again under a fresh
   * lock, and a user shown inactive is locked again if anything of the lock is missing.
   */
  private async locked<T>(id: string, view: UserViewContext, work: () => Promise<T>): Promise<T> {
    let lease: AbortSignal | undefined;
    try {
      return await this.perUser.run(id, () => {
        lease = currentWriteGuard()?.signal;
        return work();
      });
    } finally {
      if (lease?.aborted) this.recheckLater(id, view);
    }
  }

  private recheckLater(id: string, view: UserViewContext): void {
    // Work of its own: not bound by the request's deadline, which has been answered by then.
    const recheck = () =>
      runWithoutDeadline(() => this.recheckLock(id, view)).catch((err: unknown) => {
        this.logger.warn({ err: { code: (err as { code?: string }).code }, customerId: Number(id) }, "could not re-check a user written under a lost lock lease; its next write re-checks it");
      });
    const delay = this.settings.recheckAfterLostLeaseMs ?? 0;
    if (delay <= 0) {
      void recheck();
      return;
    }
    setTimeout(() => void recheck(), delay).unref();
  }

  /** A user SCIM shows as inactive must be locked (password, parking group, lockout channel). */
  private async recheckLock(id: string, view: UserViewContext): Promise<void> {
    await this.perUser.run(id, async () => {
      const current = await this.reader.getCustomer(id);
      if (readBridgeAttributes(current, this.catalog).values.active !== "false") return;
      // apply() re-applies whatever part of the lock is not in place, and writes nothing when all is.
      await this.apply(current, { fields: {}, attributes: {}, active: false }, view, "deactivate");
    });
  }

  /**
   * Brings a customer to what the change asks, in the fewest writes, all or nothing:
   * - everything knowable is checked before the first write (values by the mapping; here the
   *   email's uniqueness and the customer group's existence);
   * - the writes are ordered so that the one BigCommerce can still refuse (the customer PUT:
   *   a password its policy rejects) comes before the attribute values, and so that a request
   *   that fails half-way is finished by the IdP's retry (which sees the state left behind):
   *   1. the externalId index entry (so the attribute never points at a key that is not indexed),
   *   2. the group and channels remembered before parking or lockout (deactivation only: so that
   *      they are never lost), and on reactivation clearing the active flag,
   *   3. the customer PUT (fields, password lock, group move, lockout channel),
   *   3a. the bridge's address creates and updates (address-writer.ts), whose ids the ledger needs,
   *   4. the other attribute values (with the address ledger), then recording the active flag
   *      (deactivation) and clearing the remembered group and channels (reactivation). The flag is recorded after the lock and
   *      cleared before the unlock, so that after any prefix of these writes, and after any
   *      partial undo, a user SCIM shows as inactive is locked;
   *   4a. deleting the bridge's addresses the request removes (a deleted address cannot come back
   *      under its id, so nothing that can fail comes after it),
   *   5. removing the old index entry (best effort: lookups re-check the value anyway);
   * - when a write fails, the ones before it are undone (UndoLog) and the request fails.
   *   A password (or the deactivation lock's random one) cannot be undone: BigCommerce never
   *   gives the old one back.
   */
  private async apply(
    current: Customer,
    change: UserChange,
    view: UserViewContext,
    operation: AuditEvent["operation"],
    addressRequest?: AddressRequest,
  ): Promise<ScimUser> {
    const id = toCustomerId(current.id)!;
    const have = readBridgeAttributes(current, this.catalog);
    const wasActive = have.values.active !== "false";
    const wantsActive = change.active ?? wasActive;
    const diff = fieldDiff(current, change);
    const formFields = formFieldDiff(current, change);
    if (formFields.length > 0) diff.form_fields = formFields;
    const attributes: Partial<Record<CatalogKey, string | null>> = { ...change.attributes };
    const parkingGroup = this.settings.deactivatedGroupId;
    let event = operation;
    let restoresRememberedGroup = false;
    // The parking group is the bridge's state, never where a write puts a user: a customerGroupId
    // naming it is the echo of a parked user as read (Okta's GET-merge-PUT, or that PUT retried
    // after the user was reactivated), and (de)activation alone parks and unparks. So it asks
    // for no group, whatever the user's standing; the answer shows the group the user is in.
    if (parkingGroup !== null && diff.customer_group_id === parkingGroup) delete diff.customer_group_id;
    if (diff.customer_group_id !== undefined) {
      this.refuseGroupBesideMemberships(current, have.values, diff.customer_group_id);
      // A group the IdP asks for must exist, also for a deactivated user (where it is remembered).
      diff.customer_group_id = await this.checkedGroup(diff.customer_group_id, false);
    }

    if (!wantsActive) {
      // (Re)apply the lock whenever it is not fully in place: an earlier attempt may have
      // recorded nothing, or everything but the flag.
      const lockoutChannel = this.settings.lockoutChannelId;
      const locked =
        !wasActive &&
        current.authentication?.force_password_reset === true &&
        (!parkingGroup || current.customer_group_id === parkingGroup) &&
        (lockoutChannel === null || isLockedOut(current.channel_ids, lockoutChannel));
      if (!locked) {
        if (wasActive) event = "deactivate";
        diff.authentication = { new_password: unguessablePassword(), force_password_reset: true };
        if (parkingGroup) {
          const before = diff.customer_group_id ?? current.customer_group_id;
          // Already parked (a retry): keep the group remembered by the first attempt.
          if (before !== parkingGroup) attributes.groupBeforeDeactivation = String(before || this.defaultGroupId());
          diff.customer_group_id = parkingGroup;
        }
      } else if (parkingGroup && diff.customer_group_id !== undefined) {
        // A deactivated user stays parked; the requested group is where reactivation puts it.
        attributes.groupBeforeDeactivation = String(diff.customer_group_id);
        delete diff.customer_group_id;
      }
      attributes.active = "false";
    } else {
      if (!wasActive) {
        event = "reactivate";
        attributes.active = null;
      }
      // Reactivation, or a deactivation left half-done (parked and group remembered, flag not
      // recorded) that the IdP now undoes: the group comes back, as the channels do (channel-lockout.ts).
      if (!wasActive || have.values.groupBeforeDeactivation) {
        attributes.groupBeforeDeactivation = null;
        if (parkingGroup && current.customer_group_id === parkingGroup && diff.customer_group_id === undefined) {
          diff.customer_group_id = Number(have.values.groupBeforeDeactivation ?? 0) || 0;
          restoresRememberedGroup = true;
        }
      }
      if (change.password) diff.authentication = { new_password: change.password, force_password_reset: false };
      else if ((!wasActive || have.values.groupBeforeDeactivation || have.values.channelsBeforeDeactivation) && current.authentication?.force_password_reset === true) {
        // The deactivation's password lock is lifted too (the random password stays unknown: the
        // shopper signs in through storefront sign-in or resets it); storefront sign-in reads a
        // forced reset as a trace of a lock (src/sso/customer-match.ts).
        diff.authentication = { force_password_reset: false };
      }
    }
    this.applyChannelLockout(current, change, have.values.channelsBeforeDeactivation, wantsActive, diff, attributes);

    if (restoresRememberedGroup && diff.customer_group_id !== undefined) {
      diff.customer_group_id = await this.checkedGroup(diff.customer_group_id, true);
      if (diff.customer_group_id === current.customer_group_id) delete diff.customer_group_id;
    }
    if (diff.email !== undefined) await this.assertEmailFree(diff.email, id);

    const beforePut: AttributeValueUpsert[] = [];
    const beforePutDeletions: number[] = [];
    const afterPut: AttributeValueUpsert[] = [];
    const late: AttributeValueUpsert[] = [];
    const afterPutDeletions: number[] = [];
    const lateDeletions: number[] = [];
    const changedKeys: string[] = [];
    for (const [k, wanted] of Object.entries(attributes)) {
      const key = k as CatalogKey;
      const attributeId = this.catalog.idOf(key);
      if (attributeId === undefined) continue;
      const remembersBeforeDeactivation = key === "groupBeforeDeactivation" || key === "channelsBeforeDeactivation";
      const clears = wanted === null || wanted === undefined;
      const isLate = remembersBeforeDeactivation ? clears : key === "active" && !clears;
      const isBeforePut = remembersBeforeDeactivation ? !clears : key === "active" && clears;
      if (clears) {
        const valueId = have.valueIds[key];
        if (valueId !== undefined) (isLate ? lateDeletions : isBeforePut ? beforePutDeletions : afterPutDeletions).push(valueId);
        // A value whose id is unknown cannot be deleted; an empty value reads as "not set".
        else if (have.values[key]) (isLate ? late : isBeforePut ? beforePut : afterPut).push({ attribute_id: attributeId, customer_id: id, value: "" });
        else continue;
        changedKeys.push(key);
      } else if (have.values[key] !== wanted) {
        (isLate ? late : isBeforePut ? beforePut : afterPut).push({ attribute_id: attributeId, customer_id: id, value: wanted });
        changedKeys.push(key);
      }
    }

    // The bridge's addresses (address-writer.ts): creates and updates after the customer PUT, the
    // ledger with the other attribute values, deletes last.
    const withAddresses = addressRequest && current.addresses === undefined ? await this.withAddresses(current) : current;
    const addressPlan = this.addresses?.plan(withAddresses, have.values.addresses, addressRequest, {
      first_name: change.fields.first_name ?? current.first_name,
      last_name: change.fields.last_name ?? current.last_name,
    });
    if (planHasWork(addressPlan)) changedKeys.push("addresses");

    const changed = [...Object.keys(diff), ...changedKeys];
    if (changed.length === 0) return userFromCustomer(current, view);

    const oldExternalId = have.values.externalId;
    const newExternalId = attributes.externalId;
    const externalIdChanges = newExternalId !== undefined && newExternalId !== oldExternalId;
    const undo = new UndoLog(this.logger, { customerId: id });

    let values: CustomerAttributeValue[] = current.attributes ?? [];
    const writeAttributes = async (upserts: AttributeValueUpsert[], deletions: number[]) => {
      // The inverse goes in first: a write whose answer is lost may have landed.
      const touched = [...upserts.map((u) => u.attribute_id), ...deletions.map((d) => values.find((v) => v.id === d)?.attribute_id)];
      const previous = (current.attributes ?? []).filter((v) => touched.includes(v.attribute_id) && v.attribute_value !== "");
      const restore = previous.map((v) => ({ attribute_id: v.attribute_id, customer_id: id, value: v.attribute_value }));
      const created = upserts.filter((u) => !previous.some((v) => v.attribute_id === u.attribute_id));
      if (restore.length > 0 || created.length > 0) {
        undo.push("attribute values", async () => {
          await Promise.all(restore.map((r) => this.client.attributeValues.upsertOne(r)));
          // Values the request created read as "not set" once empty again.
          await Promise.all(created.map((c) => this.client.attributeValues.upsertOne({ ...c, value: "" })));
        });
      }
      if (upserts.length > 0) {
        const results = await Promise.all(upserts.map((u) => this.client.attributeValues.upsertOne(u)));
        const writtenIds = new Set(results.map((w) => w.attribute_id));
        values = [...values.filter((v) => !writtenIds.has(v.attribute_id)), ...results];
      }
      const toDelete = nonEmpty(deletions);
      if (toDelete) {
        await this.client.attributeValues.delete(toDelete);
        values = values.filter((v) => !deletions.includes(v.id));
      }
    };

    let updated: Customer = current;
    let writtenAddresses: Parameters<typeof AddressWriter.after>[2] = [];
    try {
      if (externalIdChanges && newExternalId) {
        undo.push("externalId index", () => this.index.remove(id, newExternalId));
        await this.index.add(id, newExternalId, { strict: true });
      }
      await writeAttributes(beforePut, beforePutDeletions);
      if (Object.keys(diff).length > 0) {
        const restore = previousFields(current, diff);
        try {
          updated = await this.client.customers.update({ id, ...diff });
        } catch (err) {
          // A refused PUT wrote nothing; any other failure may have landed.
          if (!isRefusal(err) && Object.keys(restore).length > 0) undo.push("customer fields", () => this.client.customers.update({ id, ...restore }));
          throw err;
        }
        if (Object.keys(restore).length > 0) undo.push("customer fields", () => this.client.customers.update({ id, ...restore }));
      }
      if (addressPlan && this.addresses) {
        const result = await this.addresses.write(id, withAddresses, addressPlan, undo);
        writtenAddresses = result.written;
        this.queueLedger(id, have.values.addresses, have.valueIds.addresses, result.ledger, afterPut, afterPutDeletions);
      }
      await writeAttributes(afterPut, afterPutDeletions);
      await writeAttributes(late, lateDeletions);
      if (addressPlan && this.addresses) await this.addresses.deleteRemoved(addressPlan);
    } catch (err) {
      await undo.rollBack();
      throw err;
    }
    if (externalIdChanges && oldExternalId) {
      await this.index.remove(id, oldExternalId).catch((err: unknown) => this.warnIndex(err, id));
    }

    this.audit({ operation: event, customerId: current.id, changed });
    const addresses = AddressWriter.after(withAddresses, addressPlan, writtenAddresses);
    // A PUT answer carries no form field values: the customer's, with those just written.
    const formFieldsNow = updated.form_fields ?? withFormFields(current.form_fields ?? [], diff.form_fields ?? []);
    return userFromCustomer({ ...updated, attributes: values, form_fields: formFieldsNow, ...(addresses ? { addresses } : {}) }, view);
  }

  /** A new user's addresses, and the ledger that makes them the bridge's (the caller undoes by deleting the customer). */
  private async createAddresses(id: CustomerId, customer: Customer, request: AddressRequest): Promise<Customer> {
    const created = { ...customer, addresses: [] };
    const plan = this.addresses!.plan(created, undefined, request, { first_name: customer.first_name, last_name: customer.last_name })!;
    const { ledger, written } = await this.addresses!.write(id, created, plan, new UndoLog(this.logger, { customerId: id }));
    const value = await this.client.attributeValues.upsertOne({ attribute_id: this.ledgerAttributeId(), customer_id: id, value: ledger });
    return { ...customer, addresses: written, attributes: [...(customer.attributes ?? []), value] };
  }

  /** The customer with its addresses, when the base of a write was read without them. */
  private async withAddresses(current: Customer): Promise<Customer> {
    const fresh = await this.client.customers.get(toCustomerId(current.id)!);
    if (!fresh) throw notFoundUser(current.id);
    return { ...current, addresses: fresh.addresses ?? [] };
  }

  private ledgerAttributeId(): number {
    const attributeId = this.catalog.idOf("addresses");
    // Start-up creates it whenever addresses are mapped (app.ts); without it nothing would be owned.
    if (attributeId === undefined) throw new Error("the scim_addresses attribute definition is missing");
    return attributeId;
  }

  /** The ledger's new value rides the same attribute-value writes as the other values. */
  private queueLedger(
    id: CustomerId,
    before: string | undefined,
    valueId: number | undefined,
    ledger: string,
    upserts: AttributeValueUpsert[],
    deletions: number[],
  ): void {
    if (ledger === (before ?? "")) return;
    if (ledger === "" && valueId !== undefined) deletions.push(valueId);
    else upserts.push({ attribute_id: this.ledgerAttributeId(), customer_id: id, value: ledger });
  }

  /**
   * The lockout channel is where deactivated customers are parked: a channel an IdP assigns
   * would let a shopper sign in to it (or make an active customer look locked out). Refused
   * before anything is written. A list the user is already shown with (a GET sent back as a PUT)
   * is not a request for it.
   */
  private refuseLockoutChannel(change: UserChange, shown: ScimUser | undefined): void {
    const lockout = this.settings.lockoutChannelId;
    const requested = change.fields.channel_ids;
    if (lockout === null || !requested?.includes(lockout)) return;
    const extension = shown?.[BIGCOMMERCE_CUSTOMER];
    const shownIds = isPlainObject(extension) && Array.isArray(extension.channelIds) ? (extension.channelIds as unknown[]) : null;
    if (shownIds !== null && shownIds.includes(lockout)) return;
    throw invalidValue(
      `'${BIGCOMMERCE_CUSTOMER}:channelIds' must not include ${lockout}: it is the lockout channel (SCIM_LOCKOUT_CHANNEL_ID), where only deactivated users are kept`,
    );
  }

  /** The channel part of a (de)activation, in the same order as the rest (channel-lockout.ts). */
  private applyChannelLockout(
    current: Customer,
    change: UserChange,
    remembered: string | undefined,
    wantsActive: boolean,
    diff: Omit<CustomerUpdate, "id">,
    attributes: Partial<Record<CatalogKey, string | null>>,
  ): void {
    const step = planChannelLockout({
      lockoutChannelId: this.settings.lockoutChannelId,
      wantsActive,
      current: current.channel_ids,
      requested: change.fields.channel_ids,
      remembered,
    });
    if (step.holdRequested) delete diff.channel_ids;
    if (step.channelIds !== undefined) diff.channel_ids = step.channelIds;
    if (step.remember !== undefined) attributes.channelsBeforeDeactivation = step.remember;
  }

  /**
   * A new user has never been read, so a create naming the parking group (SCIM_DEACTIVATED_GROUP_ID)
   * echoes no parked state: the value comes from an attribute mapping that names it. Creating the
   * user elsewhere would store what nobody asked for, and creating it there would put an active
   * user where only deactivated ones are kept (or make the parking group the one a created-inactive
   * user returns to), so it is refused before anything is written. `active: false` parks a user.
   */
  private refuseParkingGroupOnCreate(change: UserChange): void {
    const parking = this.settings.deactivatedGroupId;
    if (parking === null || change.fields.customer_group_id !== parking) return;
    throw invalidValue(
      `'${BIGCOMMERCE_CUSTOMER}:customerGroupId' must not be ${parking}: it is the deactivated group (SCIM_DEACTIVATED_GROUP_ID), ` +
        "where the bridge parks users it deactivates; send the group the user belongs to, and active: false to deactivate it",
    );
  }

  /**
   * The customer group of a user in several SCIM groups (remembered memberships) is the one
   * they make effective (group-memberships.ts); a direct write of another would leave `groups`,
   * the groups' member lists and the next membership change disagreeing, so it is refused
   * before any write. A user in one group (or none) has no remembered memberships: its customer
   * group is its membership, and a write moves it, as a Group membership change would.
   */
  private refuseGroupBesideMemberships(current: Customer, values: BridgeAttributeValues["values"], requested: number): void {
    const memberships = parseMemberships(values.groupMemberships);
    if (memberships === null) return;
    if (requested === standingOf(current.customer_group_id, values, this.settings.deactivatedGroupId).effective) return;
    throw mutability(
      `'${BIGCOMMERCE_CUSTOMER}:customerGroupId' of user ${current.id} follows its ${memberships.length} SCIM group memberships ` +
        "(group precedence) and cannot be written directly; change its memberships through /Groups",
    );
  }

  /**
   * The customer group a write may put the customer in. A group the IdP asked for must exist
   * (checked before any write, so the request fails whole); a remembered group that has been
   * deleted meanwhile gives way to the store's default group, so reactivation still works.
   */
  private async checkedGroup(groupId: number, remembered: boolean): Promise<number> {
    if (groupId === 0 || groupId === this.settings.deactivatedGroupId) return groupId;
    const checked = toCustomerGroupId(groupId);
    const group = checked
      ? await this.client.customerGroups.get(checked).catch((err: unknown) => {
          // A store whose plan has no customer groups: the PUT itself says what is wrong.
          if (err instanceof AuthenticationError && err.status === 403) return true;
          throw err;
        })
      : null;
    if (group) return groupId;
    if (remembered) return this.defaultGroupId();
    throw invalidValue(`'${BIGCOMMERCE_CUSTOMER}:customerGroupId': customer group ${groupId} does not exist`);
  }

  /** A new email must not belong to another customer (checked before any write). */
  private async assertEmailFree(email: string, id: CustomerId): Promise<void> {
    const page = await this.client.customers.list({ "email:in": [...new Set([email, foldEmail(email)])], limit: 10 });
    if (page.data.some((c) => c.id !== id && sameEmail(c.email, email))) {
      throw uniqueness("Another user has this userName (email)");
    }
  }

  private warnIndex(err: unknown, customerId: number): void {
    this.logger.warn({ err: { code: (err as { code?: string }).code }, customerId }, "old externalId index entry not removed (lookups ignore it)");
  }
}
