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
import type { StorableAttribute } from "../../config.js";
import { readBridgeAttributes, type AttributeCatalog, type BridgeAttributeKey } from "../../mapping/bridge-attributes.js";
import { userFromCustomer, type ScimUser, type UserViewContext } from "../../mapping/customer-to-user.js";
import { parseUserDocument } from "../../mapping/user-document.js";
import { userChangeFromDocument, withPutDefaults, type UserChange } from "../../mapping/user-to-customer.js";
import { BIGCOMMERCE_CUSTOMER, ENTERPRISE_USER } from "../../mapping/urns.js";
import { Coalescer } from "../coalescer.js";
import { KeyedLock } from "../keyed-lock.js";
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

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

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
  /** Attribute-value upserts of concurrent requests share PUTs of up to 10 (BigCommerce's cap). */
  private readonly attributeWrites: Coalescer<AttributeValueUpsert, CustomerAttributeValue>;
  private readonly perUser = new KeyedLock();

  constructor(
    private readonly client: BigCommerceClient,
    private readonly reader: UserReader,
    private readonly catalog: AttributeCatalog,
    private readonly index: ExternalIdIndex,
    private readonly settings: UserWriterSettings,
    private readonly audit: (event: AuditEvent) => void,
  ) {
    this.attributeWrites = new Coalescer(
      async (items) => {
        const written = await this.client.attributeValues.upsert(items);
        const key = (v: { customer_id: number; attribute_id: number }) => `${v.customer_id}:${v.attribute_id}`;
        const byKey = new Map(written.map((w) => [key(w), w]));
        return items.map((i) => byKey.get(key(i)) ?? { id: 0, customer_id: i.customer_id, attribute_id: i.attribute_id, attribute_value: i.value });
      },
      { maxBatch: 10, maxInFlight: 3, splitOnFailure: true },
    );
  }

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
        attributes.groupBeforeDeactivation = String(groupId ?? 0);
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
        inline.slice(10).map((a) => this.attributeWrites.submit({ attribute_id: a.attribute_id, customer_id: id, value: a.attribute_value })),
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
    const current = await this.reader.getCustomer(id);
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
    const current = await this.reader.getCustomer(id);
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
   * Brings a customer to what the change asks, in the fewest writes: one attribute-value upsert,
   * one attribute-value delete, one customer PUT, each only when needed. The PUT goes last so
   * that the customer's date_modified moves whenever anything about the user changed.
   */
  private async apply(current: Customer, change: UserChange, view: UserViewContext, operation: AuditEvent["operation"]): Promise<ScimUser> {
    const id = toCustomerId(current.id)!;
    const have = readBridgeAttributes(current, this.catalog);
    const wasActive = have.values.active !== "false";
    const wantsActive = change.active ?? wasActive;
    const diff = fieldDiff(current, change);
    const attributes: Partial<Record<BridgeAttributeKey, string | null>> = { ...change.attributes };
    let event = operation;

    if (wasActive && !wantsActive) {
      event = "deactivate";
      diff.authentication = { new_password: unguessablePassword(), force_password_reset: true };
      attributes.active = "false";
      if (this.settings.deactivatedGroupId) {
        attributes.groupBeforeDeactivation = String(diff.customer_group_id ?? current.customer_group_id);
        diff.customer_group_id = this.settings.deactivatedGroupId;
      }
    } else if (!wasActive && wantsActive) {
      event = "reactivate";
      attributes.active = null;
      const deactivatedGroup = this.settings.deactivatedGroupId;
      if (deactivatedGroup && current.customer_group_id === deactivatedGroup && diff.customer_group_id === undefined) {
        diff.customer_group_id = Number(have.values.groupBeforeDeactivation ?? 0) || 0;
      }
      attributes.groupBeforeDeactivation = null;
      if (change.password) diff.authentication = { new_password: change.password, force_password_reset: false };
    } else if (change.password && wantsActive) {
      diff.authentication = { new_password: change.password, force_password_reset: false };
    }

    const upserts: AttributeValueUpsert[] = [];
    const deletions: number[] = [];
    const deletedKeys = new Set<BridgeAttributeKey>();
    for (const [k, wanted] of Object.entries(attributes)) {
      const key = k as BridgeAttributeKey;
      const attributeId = this.catalog.idOf(key);
      if (attributeId === undefined) continue;
      const existing = have.values[key];
      if (wanted === null || wanted === undefined) {
        const valueId = have.valueIds[key];
        if (valueId !== undefined) {
          deletions.push(valueId);
          deletedKeys.add(key);
        }
      } else if (existing !== wanted) {
        upserts.push({ attribute_id: attributeId, customer_id: id, value: wanted });
      }
    }

    const changed = [...Object.keys(diff), ...upserts.map((u) => this.catalog.keyOf(u.attribute_id) ?? ""), ...deletedKeys];
    if (changed.length === 0) return userFromCustomer(current, view);

    let values: CustomerAttributeValue[] = (current.attributes ?? []).filter((a) => !deletions.includes(a.id));
    if (upserts.length > 0) {
      const written = await Promise.all(upserts.map((u) => this.attributeWrites.submit(u)));
      const writtenIds = new Set(written.map((w) => w.attribute_id));
      values = [...values.filter((v) => !writtenIds.has(v.attribute_id)), ...written];
    }
    const toDelete = nonEmpty(deletions);
    if (toDelete) await this.client.attributeValues.delete(toDelete);

    // An attribute-only change still touches the customer, so meta.lastModified and
    // BigCommerce's date_modified agree (filters on meta.lastModified rely on it).
    const update: CustomerUpdate = Object.keys(diff).length > 0 ? { id, ...diff } : { id, first_name: current.first_name };
    const updated = await this.client.customers.update(update);

    const oldExternalId = have.values.externalId;
    const newExternalId = attributes.externalId;
    if (newExternalId !== undefined && newExternalId !== oldExternalId) {
      if (oldExternalId) await this.index.remove(id, oldExternalId);
      if (newExternalId) await this.index.add(id, newExternalId);
    }

    this.audit({ operation: event, customerId: current.id, changed: changed.filter(Boolean) });
    return userFromCustomer({ ...updated, attributes: values }, view);
  }
}
