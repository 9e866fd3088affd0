import { isPlainObject } from "../json.js";
import type {
  AttributeValueUpsert,
  BigCommerceClient,
  Customer,
  CustomerAttributeValue,
  CustomerCreate,
  CustomerId,
  CustomerUpdate,
} from "../../bigcommerce/api.js";
import { nonEmpty, toCustomerId } from "../../bigcommerce/ids.js";
import type { Logger } from "pino";
import type { StorableAttribute } from "../../config.js";
import { readBridgeAttributes, type AttributeCatalog, type BridgeAttributeKey } from "../../mapping/bridge-attributes.js";
import { userFromCustomer, type ScimUser, type UserViewContext } from "../../mapping/customer-to-user.js";
import { parseUserDocument } from "../../mapping/user-document.js";
import { userChangeFromDocument, withPutDefaults, type UserChange } from "../../mapping/user-to-customer.js";
import { BIGCOMMERCE_CUSTOMER, ENTERPRISE_USER } from "../../mapping/urns.js";
import type { KeyedLock } from "../keyed-lock.js";
import { invalidSyntax } from "../errors.js";
import { normaliseUserBody } from "../normalise/user-body.js";
import { applyPatch, type PatchTarget } from "../patch/apply-patch.js";
import type { ExternalIdIndex } from "./external-id-index.js";
import { unguessablePassword } from "./random-password.js";
import type { UserReader } from "./user-reader.js";

export interface UserWriterSettings {
  storedAttributes: readonly StorableAttribute[];
  defaultChannelIds: number[] | null;
  deactivatedGroupId: number | null;
  deleteMode: "delete" | "deactivate";
}

export interface AuditEvent {
  operation: "create" | "replace" | "patch" | "deactivate" | "reactivate" | "delete";
  customerId: number;
  changed: string[];
}

const USER_PATCH_TARGET: PatchTarget = {
  urns: [ENTERPRISE_USER, BIGCOMMERCE_CUSTOMER],
  multiValued: new Set(["emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509Certificates"]),
  readOnly: new Set(["id", "meta", "schemas", "groups"]),
  booleans: new Set(["active", "primary", "acceptsproductreviewabandonedcartemails"]),
  aliases: { manager: ENTERPRISE_USER },
};


function requireBody(body: unknown, verb: string): Record<string, unknown> {
  if (body === undefined || body === null) throw invalidSyntax(`Missing request body for ${verb}`);
  if (!isPlainObject(body)) throw invalidSyntax(`${verb} expects a single JSON object`);
  return body;
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

export class UserWriter {
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
    private readonly perUser: KeyedLock,
  ) {}

  async create(body: unknown, view: UserViewContext): Promise<ScimUser> {
    const doc = parseUserDocument(normaliseUserBody(requireBody(body, "POST")));
    const change = userChangeFromDocument(doc, { mode: "create", storedAttributes: this.settings.storedAttributes });
    const active = change.active ?? true;
    const f = change.fields;
    const item: CustomerCreate = {
      email: f.email!,
      first_name: f.first_name!,
      last_name: f.last_name!,
      ...(f.phone ? { phone: f.phone } : {}),
      ...(f.company ? { company: f.company } : {}),
      ...(f.notes ? { notes: f.notes } : {}),
      ...(f.tax_exempt_category ? { tax_exempt_category: f.tax_exempt_category } : {}),
      ...(f.accepts_product_review_abandoned_cart_emails !== undefined
        ? { accepts_product_review_abandoned_cart_emails: f.accepts_product_review_abandoned_cart_emails }
        : {}),
      channel_ids: f.channel_ids !== undefined ? f.channel_ids : this.settings.defaultChannelIds,
    };
    let groupId = f.customer_group_id;
    const attributes: Partial<Record<BridgeAttributeKey, string | null>> = { ...change.attributes };
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
    }
    if (groupId !== undefined && groupId !== 0) item.customer_group_id = groupId;

    const inline: { attribute_id: number; attribute_value: string }[] = [];
    for (const [key, value] of Object.entries(attributes)) {
      const attributeId = this.catalog.idOf(key as BridgeAttributeKey);
      if (value && attributeId !== undefined) inline.push({ attribute_id: attributeId, attribute_value: value });
    }
    // BigCommerce takes at most 10 inline attribute values; the rest follow in one upsert.
    if (inline.length > 0) item.attributes = inline.slice(0, 10);
    let customer = await this.client.customers.create(item);
    const id = toCustomerId(customer.id)!;
    if (customer.attributes === undefined) {
      // The create response may not echo attribute values; show the ones just written.
      customer = {
        ...customer,
        attributes: (item.attributes ?? []).map((a) => ({ id: 0, customer_id: customer.id, ...a, date_modified: customer.date_modified })),
      };
    }
    if (inline.length > 10) {
      const extra = await Promise.all(
        inline.slice(10).map((a) => this.client.attributeValues.upsertOne({ attribute_id: a.attribute_id, customer_id: id, value: a.attribute_value })),
      );
      customer = { ...customer, attributes: [...(customer.attributes ?? []), ...extra] };
    }
    if (change.attributes.externalId) await this.index.add(id, change.attributes.externalId);
    this.audit({ operation: "create", customerId: customer.id, changed: Object.keys(item) });
    return userFromCustomer(customer, view);
  }

  async replace(id: string, body: unknown, view: UserViewContext): Promise<ScimUser> {
    const raw = requireBody(body, "PUT");
    return this.perUser.run(id, () => this.replaceNow(id, raw, view));
  }

  private async replaceNow(id: string, raw: Record<string, unknown>, view: UserViewContext): Promise<ScimUser> {
    const current = await this.reader.getCustomer(id, { recent: true });
    const doc = withPutDefaults(parseUserDocument(normaliseUserBody(raw)), this.settings.storedAttributes);
    const change = userChangeFromDocument(doc, { mode: "replace", currentEmail: current.email, storedAttributes: this.settings.storedAttributes });
    return this.apply(current, change, view, "replace");
  }

  async patch(id: string, body: unknown, view: UserViewContext): Promise<ScimUser> {
    const message = requireBody(body, "PATCH");
    return this.perUser.run(id, () => this.patchNow(id, message, view));
  }

  private async patchNow(id: string, message: Record<string, unknown>, view: UserViewContext): Promise<ScimUser> {
    const operations = Object.entries(message).find(([k]) => k.toLowerCase() === "operations")?.[1];
    const current = await this.reader.getCustomer(id, { recent: true });
    const before = userFromCustomer(current, view);
    const after = applyPatch(before, operations, USER_PATCH_TARGET);
    const doc = parseUserDocument(normaliseUserBody(after));
    const change = userChangeFromDocument(doc, { mode: "replace", currentEmail: current.email, storedAttributes: this.settings.storedAttributes });
    return this.apply(current, change, view, "patch");
  }

  async remove(id: string, view: UserViewContext): Promise<void> {
    return this.perUser.run(id, () => this.removeNow(id, view));
  }

  private async removeNow(id: string, view: UserViewContext): Promise<void> {
    const current = await this.reader.getCustomer(id);
    if (this.settings.deleteMode === "deactivate") {
      await this.apply(current, { fields: {}, attributes: {}, active: false }, view, "delete");
      return;
    }
    await this.client.customers.delete([toCustomerId(current.id)!]);
    this.audit({ operation: "delete", customerId: current.id, changed: [] });
  }

  /**
   * Brings a customer to what the change asks, in the fewest writes, ordered so that a request
   * that fails half-way is finished by the IdP's retry (which sees the state left behind):
   * 1. the externalId index entry (so the attribute never points at a key that is not indexed),
   * 2. attribute values, except the active flag,
   * 3. the customer PUT (fields, password lock, group move),
   * 4. the active flag, and clearing the remembered group on reactivation,
   * 5. removing the old index entry (best effort: lookups re-check the value anyway).
   * The active flag moves last, so "inactive" is never recorded before the lock is in place.
   */
  private async apply(current: Customer, change: UserChange, view: UserViewContext, operation: AuditEvent["operation"]): Promise<ScimUser> {
    const id = toCustomerId(current.id)!;
    const have = readBridgeAttributes(current, this.catalog);
    const wasActive = have.values.active !== "false";
    const wantsActive = change.active ?? wasActive;
    const diff = fieldDiff(current, change);
    const attributes: Partial<Record<BridgeAttributeKey, string | null>> = { ...change.attributes };
    const parkingGroup = this.settings.deactivatedGroupId;
    let event = operation;

    if (!wantsActive) {
      // (Re)apply the lock whenever it is not fully in place: an earlier attempt may have
      // recorded nothing, or everything but the flag.
      const locked =
        !wasActive && current.authentication?.force_password_reset === true && (!parkingGroup || current.customer_group_id === parkingGroup);
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
        attributes.groupBeforeDeactivation = null;
        if (parkingGroup && current.customer_group_id === parkingGroup && diff.customer_group_id === undefined) {
          diff.customer_group_id = Number(have.values.groupBeforeDeactivation ?? 0) || 0;
        }
      }
      if (change.password) diff.authentication = { new_password: change.password, force_password_reset: false };
    }

    const early: AttributeValueUpsert[] = [];
    const late: AttributeValueUpsert[] = [];
    const earlyDeletions: number[] = [];
    const lateDeletions: number[] = [];
    const changedKeys: string[] = [];
    for (const [k, wanted] of Object.entries(attributes)) {
      const key = k as BridgeAttributeKey;
      const attributeId = this.catalog.idOf(key);
      if (attributeId === undefined) continue;
      const isLate = key === "active" || (key === "groupBeforeDeactivation" && wanted === null);
      if (wanted === null || wanted === undefined) {
        const valueId = have.valueIds[key];
        if (valueId !== undefined) (isLate ? lateDeletions : earlyDeletions).push(valueId);
        // A value whose id is unknown cannot be deleted; an empty value reads as "not set".
        else if (have.values[key]) (isLate ? late : early).push({ attribute_id: attributeId, customer_id: id, value: "" });
        else continue;
        changedKeys.push(key);
      } else if (have.values[key] !== wanted) {
        (isLate ? late : early).push({ attribute_id: attributeId, customer_id: id, value: wanted });
        changedKeys.push(key);
      }
    }

    const changed = [...Object.keys(diff), ...changedKeys];
    if (changed.length === 0) return userFromCustomer(current, view);

    const oldExternalId = have.values.externalId;
    const newExternalId = attributes.externalId;
    const externalIdChanges = newExternalId !== undefined && newExternalId !== oldExternalId;
    if (externalIdChanges && newExternalId) await this.index.add(id, newExternalId, { strict: true });

    let values: CustomerAttributeValue[] = current.attributes ?? [];
    const writeAttributes = async (upserts: AttributeValueUpsert[], deletions: number[]) => {
      if (upserts.length > 0) {
        const written = await Promise.all(upserts.map((u) => this.client.attributeValues.upsertOne(u)));
        const writtenIds = new Set(written.map((w) => w.attribute_id));
        values = [...values.filter((v) => !writtenIds.has(v.attribute_id)), ...written];
      }
      const toDelete = nonEmpty(deletions);
      if (toDelete) {
        await this.client.attributeValues.delete(toDelete);
        values = values.filter((v) => !deletions.includes(v.id));
      }
    };

    await writeAttributes(early, earlyDeletions);
    const updated = Object.keys(diff).length > 0 ? await this.client.customers.update({ id, ...diff }) : current;
    await writeAttributes(late, lateDeletions);
    if (externalIdChanges && oldExternalId) {
      await this.index.remove(id, oldExternalId).catch((err: unknown) => this.warnIndex(err, id));
    }

    this.audit({ operation: event, customerId: current.id, changed });
    return userFromCustomer({ ...updated, attributes: values }, view);
  }

  private warnIndex(err: unknown, customerId: number): void {
    this.logger.warn({ err: { code: (err as { code?: string }).code }, customerId }, "old externalId index entry not removed (lookups ignore it)");
  }
}
